// How programs stay valid and finite (docs/difftest.md):
//  1. Every element the generator places is a closed "unit": whatever a FILT
//     or SWITCH consumes is produced just before it in the same SEQ, so units
//     compose freely under SEQ/REPEAT/WHILE/SWITCH/WEAVE and in sub-programs.
//  2. LOOP occurs only as a WEAVE child, and a WEAVE's n_required is at most
//     its number of children without LOOP, so every WEAVE ends.
//  3. Every WHILE has its own counter Tensor whose condition kernel adds 1 and
//     compares with a limit; nothing resets it, so over the whole run its body
//     runs at most limit/D - 1 times, wherever the WHILE is repeated or woven.
//  4. All Tensor components are f32[D] and every dataset has D columns, so a
//     user kernel is typed the same for every instance it meets; updates are
//     damped (tanh/sigmoid, factors below 1) so values stay finite.
#include "Generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace kiln::difftest {

namespace {

using Kind = Elem::Kind;

std::string num(int64_t v) {
  return std::to_string(v);
}

// A kernel's parameters as the expression generator sees them.
struct KernelEnv {
  std::string row;                 // an f32[D] parameter
  std::string batch;               // an f32[?, D] parameter
  std::vector<std::string> states; // Tensor parameters (writable)
  std::string rbm;                 // an RBM parameter (writable)
  std::string logreg;              // a LogisticRegression parameter (writable)
};

class Generator {
public:
  Generator(uint64_t seed, const GeneratorOptions &o) : rng_(seed), opts_(o) {}
  Program run();

private:
  // ---- elements ----
  Elem unit(unsigned depth);
  Elem leafUnit(unsigned depth);
  Elem rowProducer(unsigned depth);
  Elem batchProducer(unsigned depth, int64_t minRows);
  std::vector<Elem> batchConsumer(int64_t rows);
  Elem whileUnit(unsigned depth);
  /// valued: every branch makes a row and there is a DEFAULT, so the
  /// SWITCH passes a row on.
  Elem switchUnit(unsigned depth, bool valued = false);
  Elem nestedBuffer(unsigned depth);
  Elem weaveUnit(unsigned depth);
  void maybePrint(std::vector<Elem> &seq);
  /// FILT of a method with a result: half the time the scalar one, whose
  /// value then may flow into a kernel's scalar parameter.
  void valueMethod(std::vector<Elem> &out, const char *scalarMethod, const char *otherMethod);

  // ---- kernels ----
  std::string batchKernel();
  std::string rowMapKernel();
  std::string stateKernel(std::vector<KwArg> &kwargs);
  std::string selectorKernel();
  std::string scalarKernel();
  std::string whileKernel();
  std::string vecExpr(const KernelEnv &env, unsigned depth);
  std::string scalarExpr(const KernelEnv &env, unsigned depth);
  std::string vecLeaf(const KernelEnv &env);
  std::vector<std::string> updates(const KernelEnv &env);
  std::string addKernel(std::string prefix, std::string params, std::vector<std::string> body,
                        std::string result);
  std::vector<std::string> pickStates(size_t n);

  std::string dataset() { return datasets_[rng_.below(int64_t(datasets_.size()))]; }
  std::string pick(std::initializer_list<const char *> xs) {
    return *(xs.begin() + rng_.below(int64_t(xs.size())));
  }
  std::string floatLiteral();
  std::string dimType() const { return "f32[" + num(d_) + "]"; }
  std::string batchType() const { return "f32[?, " + num(d_) + "]"; }

  Rng rng_;
  GeneratorOptions opts_;
  Program p_;
  int64_t d_ = 3, h_ = 2, kmK_ = 2;
  std::vector<std::string> datasets_, tensors_;
  bool pca_ = false, km_ = false, rbm_ = false, lr_ = false;
  int fuel_ = 0, counters_ = 0, kernelIds_ = 0, msgIds_ = 0;
  std::vector<std::string> rowMaps_, batchKernels_, selectors_;
  std::string whileKernel_, scalarKernel_, anyShapeKernel_;
  std::vector<int> subUses_;
};

Program Generator::run() {
  fuel_ = opts_.fuel;
  d_ = rng_.range(2, 4);
  h_ = rng_.range(2, 3);
  int64_t nData = rng_.range(1, 2);
  for (int64_t i = 0; i < nData; ++i) {
    std::string name = "d" + num(i);
    std::vector<KwArg> kw{{"rows", num(rng_.range(3, 9))}, {"cols", num(d_)}};
    bool bern = rng_.chance(1, 3);
    if (bern)
      kw.push_back({"p", pick({"0.3", "0.5", "0.75"})});
    kw.push_back({"seed", num(rng_.range(0, 99))});
    if (rng_.chance(1, 2))
      kw.push_back({"shuffle", "true"});
    p_.components.push_back({name, bern ? "Dataset.bernoulli" : "Dataset.randn", kw});
    datasets_.push_back(name);
  }
  int64_t nTensors = rng_.range(1, 3);
  for (int64_t i = 0; i < nTensors; ++i) {
    std::string name = "t" + num(i);
    std::vector<KwArg> kw{{"shape", "[" + num(d_) + "]"}};
    switch (rng_.below(4)) {
    case 0: break;
    case 1: kw.push_back({"init", "\"ones\""}); break;
    case 2:
      kw.push_back({"init", "\"randn\""}), kw.push_back({"seed", num(rng_.range(0, 9))});
      break;
    default: kw.push_back({"init", "\"uniform\""}), kw.push_back({"low", "-1"}); break;
    }
    p_.components.push_back({name, "Tensor", kw});
    tensors_.push_back(name);
  }
  if (opts_.mixedShapes)
    p_.components.push_back(
        {"tm",
         "Tensor",
         {{"shape", "[" + num(d_ + 1) + ", " + num(d_) + "]"}, {"init", "\"ones\""}}});
  if ((pca_ = rng_.chance(1, 2)))
    p_.components.push_back(
        {"pca", "PCA", {{"dims", num(rng_.range(1, d_))}, {"inputs", num(d_)}}});
  if ((km_ = rng_.chance(1, 2)))
    p_.components.push_back(
        {"km", "KMeans", {{"k", num(kmK_)}, {"dims", num(d_)}, {"seed", num(rng_.range(0, 9))}}});
  if ((rbm_ = rng_.chance(1, 2)))
    p_.components.push_back(
        {"rbm",
         "RBM",
         {{"visible", num(d_)}, {"hidden", num(h_)}, {"seed", num(rng_.range(0, 9))}}});

  if ((lr_ = rng_.chance(1, 3)))
    p_.components.push_back({"lr",
                             "LogisticRegression",
                             {{"inputs", num(d_)},
                              {"classes", num(rng_.range(2, 3))},
                              {"seed", num(rng_.range(1, 9))}}});

  int64_t nSubs = rng_.range(0, 2);
  for (int64_t i = 0; i < nSubs; ++i) {
    Elem body = unit(2);
    p_.subs.push_back({"sub" + num(i), std::move(body)});
    subUses_.push_back(0);
  }
  std::vector<Elem> top;
  int64_t nTop = rng_.range(2, 4);
  for (int64_t i = 0; i < nTop; ++i)
    top.push_back(unit(0));
  // Each sub-program is used at least twice.
  for (size_t i = 0; i < subUses_.size(); ++i)
    while (subUses_[i] < 2) {
      Elem use;
      use.kind = Kind::Sub;
      use.callee = p_.subs[i].name;
      top.insert(top.begin() + rng_.below(int64_t(top.size()) + 1), use);
      ++subUses_[i];
    }
  p_.main = Elem::seq(std::move(top));
  return std::move(p_);
}

Elem Generator::unit(unsigned depth) {
  --fuel_;
  if (depth >= opts_.maxDepth || fuel_ <= 0)
    return leafUnit(depth);
  int64_t r = rng_.below(20);
  if (r < 7)
    return leafUnit(depth);
  if (r < 9) {
    std::vector<Elem> kids;
    for (int64_t i = rng_.range(2, 3); i > 0; --i)
      kids.push_back(unit(depth + 1));
    return Elem::seq(std::move(kids));
  }
  if (r < 11)
    return Elem::withKids(Kind::Repeat, rng_.range(1, 3), {unit(depth + 1)});
  if (r < 13)
    return whileUnit(depth);
  if (r < 16)
    return switchUnit(depth);
  if (r < 18 && opts_.weave)
    return weaveUnit(depth);
  if (r < 20 && !p_.subs.empty() && depth > 0) {
    // Only sub-programs defined before the current one's body are visible:
    // subs are generated in order, so at the time sub i's body is being
    // built only subs [0, i) exist.
    size_t i = size_t(rng_.below(int64_t(p_.subs.size())));
    ++subUses_[i];
    Elem use;
    use.kind = Kind::Sub;
    use.callee = p_.subs[i].name;
    return use;
  }
  return leafUnit(depth);
}

void Generator::valueMethod(std::vector<Elem> &out, const char *scalarMethod,
                            const char *otherMethod) {
  bool scalar = rng_.chance(1, 2);
  out.push_back(Elem::filt(scalar ? scalarMethod : otherMethod));
  if (scalar && rng_.chance(1, 2))
    out.push_back(Elem::filt(scalarKernel(), {{"p0", pickStates(1)[0]}}));
  maybePrint(out);
}

void Generator::maybePrint(std::vector<Elem> &seq) {
  if (rng_.chance(1, 4))
    seq.push_back(Elem::filt(rng_.chance(1, 2) ? "print" : "log"));
}

Elem Generator::leafUnit(unsigned depth) {
  switch (rng_.below(8)) {
  case 0:
  case 1:
  case 2: {
    int64_t rows = rng_.range(2, 4);
    std::vector<Elem> seq{batchProducer(depth, rows)};
    for (Elem &c : batchConsumer(rows))
      seq.push_back(std::move(c));
    return Elem::seq(std::move(seq));
  }
  case 3: {
    if (rng_.chance(1, 5))
      return nestedBuffer(depth);
    std::vector<Elem> seq;
    if (rng_.chance(1, 4)) {
      // A SWITCH with a value: CASEs and a DEFAULT that all make a row.
      Elem sw = switchUnit(depth, true);
      seq = std::move(sw.kids);
    } else {
      seq.push_back(rowProducer(depth));
    }
    if (rng_.chance(1, 2))
      seq.push_back(Elem::filt(rowMapKernel()));
    seq.push_back(Elem::filt(rng_.chance(1, 2) ? "print" : "log"));
    return Elem::seq(std::move(seq));
  }
  case 4:
    if (opts_.mixedShapes && rng_.chance(1, 2)) {
      if (anyShapeKernel_.empty())
        anyShapeKernel_ = addKernel("kany", "p0: Tensor",
                                    {"p0.value *= 0.5", "p0.value += 0.125 * tanh(p0.value)"}, "");
      return Elem::call(anyShapeKernel_, {{"p0", rng_.chance(1, 2) ? "tm" : pickStates(1)[0]}});
    }
    [[fallthrough]];
  case 5: {
    std::vector<KwArg> kw;
    std::string k = stateKernel(kw);
    Elem call = Elem::call(k, kw);
    const Kernel *kernel = nullptr;
    for (const Kernel &kk : p_.kernels)
      if (kk.name == k)
        kernel = &kk;
    if (kernel && !kernel->result.empty() && rng_.chance(1, 3))
      return Elem::seq({call, Elem::filt("print")});
    return call;
  }
  case 6:
    if (rng_.chance(1, 6)) {
      // An empty batch: next_batch(0) is f32[0, D].
      Elem e = Elem::call(dataset() + ".next_batch", {{"n", "0"}});
      return Elem::seq({e, Elem::filt(pca_ && rng_.chance(1, 2) ? "pca.analyze" : "print")});
    }
    if (rng_.chance(1, 2))
      return Elem::seq({Elem::call(dataset() + ".epoch"), Elem::filt("print", {{"epoch", "1"}})});
    return Elem::call(rng_.chance(1, 2) ? "print" : "log",
                      {{"msg", "\"m" + num(msgIds_++) + "\""}});
  default:
    if (pca_ && rng_.chance(1, 2)) {
      // finalize needs analyzed rows: analyze two or more just before.
      return Elem::seq(
          {batchProducer(depth, 2), Elem::filt("pca.analyze"), Elem::call("pca.finalize")});
    }
    return Elem::call("print", {{"msg", "\"m" + num(msgIds_++) + "\""}, {"n", num(msgIds_)}});
  }
}

Elem Generator::rowProducer(unsigned depth) {
  std::string next = dataset() + ".next";
  switch (rng_.below(6)) {
  case 0: return Elem::seq({Elem::call(next), Elem::filt(rowMapKernel())});
  case 1:
    if (depth + 1 < opts_.maxDepth && fuel_ > 0)
      return Elem::seq({unit(depth + 1), Elem::call(next)});
    return Elem::call(next);
  case 2: return Elem::withKids(Kind::Repeat, rng_.range(1, 2), {Elem::call(next)});
  default: return Elem::call(next);
  }
}

Elem Generator::batchProducer(unsigned depth, int64_t minRows) {
  int64_t n = rng_.range(minRows, minRows + 2);
  switch (rng_.below(4)) {
  case 0: return Elem::call(dataset() + ".next_batch", {{"n", num(n)}});
  case 1:
    if (depth + 1 < opts_.maxDepth && fuel_ > 0)
      return Elem::seq({unit(depth + 1), batchProducer(depth + 1, minRows)});
    [[fallthrough]];
  default: return Elem::withKids(Kind::BufferRepeat, n, {rowProducer(depth + 1)});
  }
}

std::vector<Elem> Generator::batchConsumer(int64_t rows) {
  std::vector<Elem> out;
  int64_t r = rng_.below(10);
  if (r == 0 && pca_) {
    out.push_back(Elem::filt("pca.analyze"));
  } else if (r == 1 && pca_) {
    out.push_back(Elem::filt("pca.transform"));
    maybePrint(out);
  } else if (r == 2 && km_ && rows >= kmK_) {
    out.push_back(Elem::filt("km.update"));
  } else if (r == 3 && km_) {
    valueMethod(out, "km.inertia", "km.assign");
  } else if (r == 4 && rbm_) {
    if (rng_.chance(1, 2))
      out.push_back(Elem::filt("rbm.cd1_update", {{"lr", floatLiteral()}}));
    else
      out.push_back(Elem::filt("rbm.cd1"));
  } else if (r == 5 && rbm_) {
    valueMethod(out, "rbm.reconstruction_error", "rbm.hidden");
  } else if (r == 7 && lr_) {
    out.push_back(Elem::filt("lr.predict"));
    maybePrint(out);
  } else if (r == 6) {
    out.push_back(Elem::filt(rng_.chance(1, 2) ? "print" : "log"));
  } else {
    std::string k = batchKernel();
    std::vector<KwArg> kw;
    const Kernel &kernel = *std::find_if(p_.kernels.begin(), p_.kernels.end(),
                                         [&](const Kernel &x) { return x.name == k; });
    // Component parameters come first in every generated kernel: p0, p1, r.
    for (size_t i = 0; i < 2; ++i)
      if (kernel.params.find("p" + num(int64_t(i)) + ": Tensor") != std::string::npos)
        kw.push_back({"p" + num(int64_t(i)), ""});
    std::vector<std::string> st = pickStates(kw.size());
    for (size_t i = 0; i < kw.size(); ++i)
      kw[i].value = st[i];
    if (kernel.params.find("r: RBM") != std::string::npos)
      kw.push_back({"r", "rbm"});
    if (kernel.params.find("m: LogisticRegression") != std::string::npos)
      kw.push_back({"m", "lr"});
    out.push_back(Elem::filt(k, kw));
    if (!kernel.result.empty())
      maybePrint(out);
  }
  return out;
}

Elem Generator::whileUnit(unsigned depth) {
  std::string ctr = "c" + num(counters_++);
  p_.components.push_back({ctr, "Tensor", {{"shape", "[" + num(d_) + "]"}}});
  Elem cond = Elem::call(whileKernel(), {{"c", ctr}, {"lim", num(d_ * rng_.range(2, 5))}});
  if (rng_.chance(1, 4))
    cond = Elem::seq({leafUnit(depth + 1), cond});
  return Elem::withKids(Kind::While, 0, {cond, unit(depth + 1)});
}

Elem Generator::switchUnit(unsigned depth, bool valued) {
  Elem sw;
  sw.kind = rng_.chance(1, 2) ? Kind::Switch : Kind::Choose;
  int64_t n = rng_.range(1, 3);
  sw.caseForm = valued || rng_.chance(1, 2);
  if (sw.caseForm) {
    // Distinct case values in [0, D + 1]; the selector is in [0, D].
    std::vector<int64_t> vals;
    for (int64_t v = 0; v <= d_ + 1; ++v)
      vals.push_back(v);
    for (size_t i = vals.size(); i > 1; --i)
      std::swap(vals[i - 1], vals[size_t(rng_.below(int64_t(i)))]);
    sw.cases.assign(vals.begin(), vals.begin() + n);
    sw.hasDefault = valued || rng_.chance(1, 2);
  }
  for (int64_t i = 0; i < n + (sw.hasDefault ? 1 : 0); ++i)
    sw.kids.push_back(valued ? rowProducer(depth + 1) : unit(depth + 1));
  return Elem::seq({Elem::call(dataset() + ".next"), Elem::filt(selectorKernel()), sw});
}

// A buffer of buffers, f32[n, k, D], into print or a kernel reducing it.
Elem Generator::nestedBuffer(unsigned depth) {
  int64_t k = rng_.range(1, 3);
  Elem inner = Elem::withKids(Kind::BufferRepeat, k, {rowProducer(depth + 2)});
  std::vector<Elem> seq{Elem::withKids(Kind::BufferRepeat, rng_.range(1, 3), {inner})};
  if (rng_.chance(1, 2)) {
    std::string t = "f32[?, " + num(k) + ", " + num(d_) + "]";
    std::string name =
        addKernel("kn", "p0: Tensor, x: " + t,
                  {"p0.value += 0.125 * tanh(" +
                   pick({"sum(sum(x, axis=0), axis=0)", "mean(max(x, axis=1), axis=0)",
                         "min(sum(x, axis=-2), axis=0)"}) +
                   ")"},
                  "sum(x)");
    seq.push_back(Elem::filt(name, {{"p0", pickStates(1)[0]}}));
  }
  seq.push_back(Elem::filt("print"));
  return Elem::seq(std::move(seq));
}

Elem Generator::weaveUnit(unsigned depth) {
  std::vector<Elem> kids;
  int64_t finite = rng_.range(1, 3);
  for (int64_t i = 0; i < finite; ++i)
    kids.push_back(unit(depth + 1));
  int64_t loops = rng_.chance(1, 2) ? rng_.range(1, 2) : 0;
  for (int64_t i = 0; i < loops; ++i) {
    // Its body surely makes a step (the VM refuses a LOOP that may spin
    // without one): the unit may not (a WEAVE(0, ...), a SWITCH's empty
    // default), so an epoch read follows it.
    Elem loop = Elem::withKids(
        Kind::Loop, 0, {Elem::seq({unit(depth + 1), Elem::call(dataset() + ".epoch")})});
    kids.insert(kids.begin() + rng_.below(int64_t(kids.size()) + 1), std::move(loop));
  }
  // n_required in [0, finite]: every value up to the child count occurs
  // (when there is no LOOP child, finite == the child count).
  return Elem::withKids(Kind::Weave, rng_.range(0, finite), std::move(kids));
}

// ---- kernels ----------------------------------------------------------------

std::string Generator::addKernel(std::string prefix, std::string params,
                                 std::vector<std::string> body, std::string result) {
  std::string name = prefix + num(kernelIds_++);
  p_.kernels.push_back({name, std::move(params), std::move(body), std::move(result)});
  return name;
}

std::vector<std::string> Generator::pickStates(size_t n) {
  std::vector<std::string> ts = tensors_;
  for (size_t i = ts.size(); i > 1; --i)
    std::swap(ts[i - 1], ts[size_t(rng_.below(int64_t(i)))]);
  ts.resize(std::min(n, ts.size()));
  // Sometimes one Tensor for two parameters: a kernel that writes one and
  // reads the other sees its own write (aliasing through component_ref).
  if (ts.size() == 2 && rng_.chance(1, 5))
    ts[1] = ts[0];
  while (ts.size() < n)
    ts.push_back(ts[0]);
  return ts;
}

std::string Generator::vecLeaf(const KernelEnv &env) {
  std::vector<std::string> xs;
  if (!env.row.empty())
    xs.insert(xs.end(), {env.row, env.row});
  if (!env.batch.empty()) {
    const std::string &b = env.batch;
    xs.push_back("mean(" + b + ", axis=0)");
    xs.push_back("sum(" + b + ", axis=0)");
    xs.push_back(pick({"max", "min"}) + "(" + b + ", axis=-2)");
    xs.push_back("mean(" + b + ".T @ " + b + ", axis=1)");
  }
  for (const std::string &s : env.states)
    xs.push_back(s + ".value");
  xs.push_back(tensors_[size_t(rng_.below(int64_t(tensors_.size())))] + ".value"); // a global
  if (!env.rbm.empty()) {
    xs.push_back(env.rbm + ".vb");
    xs.push_back("sum(" + env.rbm + ".W, axis=1)");
  }
  std::string leaf = xs[size_t(rng_.below(int64_t(xs.size())))];
  switch (rng_.below(8)) {
  case 0: return "uniform(" + leaf + ")";
  case 1: return "normal(" + leaf + ")";
  case 2: return "bernoulli(sigmoid(" + leaf + "))";
  default: return leaf;
  }
}

// A number for a kernel constant or keyword: usually a plain one, sometimes
// a random f32 with all its digits or an edge case of printing (exponents,
// subnormals, -0), so the round trip checks the printer's shortest form.
std::string Generator::floatLiteral() {
  switch (rng_.below(6)) {
  case 0: {
    float f = std::ldexp(float(rng_.below(1 << 24)) / float(1 << 24), int(rng_.range(-8, 1)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", rng_.chance(1, 2) ? -f : f);
    return buf;
  }
  case 1:
    return pick({"1e-7", "2.5e-5", "-0.0", "1.17549435e-38", "1.4e-45", "0.1", "0.3", "16777217",
                 "3.0e2", "0.000123"});
  default: return pick({"0.5", "2", "-1.5", "0.25", "-0.75", "0.05"});
  }
}

std::string Generator::scalarExpr(const KernelEnv &env, unsigned depth) {
  switch (rng_.below(6)) {
  case 0: return floatLiteral();
  case 1:
    if (!env.batch.empty())
      return "rows(" + env.batch + ")";
    [[fallthrough]];
  default: return pick({"sum", "mean", "max", "min"}) + "(" + vecExpr(env, depth + 1) + ")";
  }
}

std::string Generator::vecExpr(const KernelEnv &env, unsigned depth) {
  if (depth >= 3 || rng_.chance(1, 3))
    return vecLeaf(env);
  std::string a = vecExpr(env, depth + 1);
  switch (rng_.below(12)) {
  case 0: return pick({"tanh", "sigmoid", "abs", "relu"}) + "(" + a + ")";
  case 1: return "sqrt(abs(" + a + "))";
  case 2: return "log(1 + abs(" + a + "))";
  case 3: return "exp(-abs(" + a + "))";
  case 4: return "-" + a;
  case 5: return "(" + a + pick({" + ", " - ", " * "}) + vecExpr(env, depth + 1) + ")";
  case 6: return pick({"max", "min"}) + "(" + a + ", " + vecExpr(env, depth + 1) + ")";
  case 7: {
    std::string b = vecExpr(env, depth + 1);
    return "where(" + a + pick({" > ", " <= "}) + b + ", " + a + ", " + b + ")";
  }
  case 8: return a + " / (1 + abs(" + vecExpr(env, depth + 1) + "))";
  case 9: return "tanh(" + scalarExpr(env, depth + 1) + ") * " + a;
  default: return floatLiteral() + " * " + a;
  }
}

std::vector<std::string> Generator::updates(const KernelEnv &env) {
  std::vector<std::string> out;
  for (const std::string &s : env.states) {
    for (int64_t i = rng_.range(0, 2); i > 0; --i) {
      std::string e = vecExpr(env, 0);
      switch (rng_.below(5)) {
      case 0: out.push_back(s + ".value += 0.125 * tanh(" + e + ")"); break;
      case 1: out.push_back(s + ".value -= 0.25 * sigmoid(" + e + ")"); break;
      case 2: out.push_back(s + ".value = 0.5 * " + s + ".value + 0.5 * tanh(" + e + ")"); break;
      case 3: out.push_back(s + ".value *= " + pick({"0.75", "0.5", "-0.5"})); break;
      default: out.push_back(s + ".value /= 1 + abs(tanh(" + e + "))"); break;
      }
    }
  }
  if (!env.rbm.empty()) {
    const std::string &r = env.rbm;
    if (rng_.chance(1, 2))
      out.push_back(r + ".vb += 0.1 * tanh(" + vecExpr(env, 0) + ")");
    if (!env.batch.empty() && rng_.chance(1, 2))
      out.push_back(r + ".W += 0.01 * tanh(" + env.batch + ".T @ sigmoid(" + env.batch + " @ " + r +
                    ".W))");
    if (rng_.chance(1, 2))
      out.push_back(r + ".hb += 0.1 * tanh(sum(" + r + ".W, axis=0))");
  }
  if (!env.logreg.empty() && !env.batch.empty()) {
    const std::string &m = env.logreg, &x = env.batch;
    if (rng_.chance(2, 3))
      out.push_back(m + ".W -= 0.1 * (" + x + ".T @ sigmoid(" + x + " @ " + m + ".W)) / rows(" + x +
                    ")");
    if (rng_.chance(1, 2))
      out.push_back(m + ".b += 0.1 * tanh(mean(" + x + " @ " + m + ".W, axis=0))");
  }
  return out;
}

std::string Generator::batchKernel() {
  if (!batchKernels_.empty() && rng_.chance(2, 5))
    return batchKernels_[size_t(rng_.below(int64_t(batchKernels_.size())))];
  KernelEnv env;
  std::string params;
  int64_t nStates = rng_.range(0, std::min<int64_t>(2, int64_t(tensors_.size())));
  for (int64_t i = 0; i < nStates; ++i) {
    env.states.push_back("p" + num(i));
    params += "p" + num(i) + ": Tensor, ";
  }
  if (rbm_ && rng_.chance(1, 3)) {
    env.rbm = "r";
    params += "r: RBM, ";
  }
  if (lr_ && rng_.chance(1, 3)) {
    env.logreg = "m";
    params += "m: LogisticRegression, ";
  }
  env.batch = "x";
  params += "x: " + batchType();
  std::vector<std::string> body = updates(env);
  std::string result;
  switch (rng_.below(3)) {
  case 0: result = vecExpr(env, 0); break;
  case 1: result = scalarExpr(env, 0); break;
  default:
    if (body.empty())
      result = scalarExpr(env, 0);
    break;
  }
  std::string k = addKernel("kb", params, std::move(body), std::move(result));
  batchKernels_.push_back(k);
  return k;
}

std::string Generator::rowMapKernel() {
  if (!rowMaps_.empty() && rng_.chance(1, 2))
    return rowMaps_[size_t(rng_.below(int64_t(rowMaps_.size())))];
  KernelEnv env;
  env.row = "x";
  std::string k = addKernel("kr", "x: " + dimType(), {}, vecExpr(env, 0));
  rowMaps_.push_back(k);
  return k;
}

std::string Generator::stateKernel(std::vector<KwArg> &kwargs) {
  KernelEnv env;
  std::string params;
  std::vector<std::string> st = pickStates(size_t(rng_.range(1, 2)));
  for (size_t i = 0; i < st.size(); ++i) {
    std::string p = "p" + num(int64_t(i));
    env.states.push_back(p);
    params += (i ? ", " : "") + p + ": Tensor";
    kwargs.push_back({p, st[i]});
  }
  if (rbm_ && rng_.chance(1, 3)) {
    env.rbm = "r";
    params += ", r: RBM";
    kwargs.push_back({"r", "rbm"});
  }
  std::vector<std::string> body = updates(env);
  if (rng_.chance(1, 3)) {
    // A number keyword: a constant operand printed by the notation's
    // literal printer (not the kernel expression printer).
    params += ", a: f32";
    kwargs.push_back({"a", floatLiteral()});
    body.push_back("p0.value += 0.125 * tanh(a)");
  }
  std::string result;
  if (body.empty() || rng_.chance(1, 3))
    result = rng_.chance(1, 2) ? vecExpr(env, 0) : scalarExpr(env, 0);
  return addKernel("ks", params, std::move(body), std::move(result));
}

std::string Generator::selectorKernel() {
  if (!selectors_.empty() && rng_.chance(1, 2))
    return selectors_[size_t(rng_.below(int64_t(selectors_.size())))];
  // The number of entries above a threshold: a selector in [0, D].
  std::string k =
      addKernel("sel", "x: " + dimType(), {}, "sum(f32(x > " + pick({"0.0", "0.5", "-0.5"}) + "))");
  selectors_.push_back(k);
  return k;
}

std::string Generator::scalarKernel() {
  // A FILT whose flowing value is a scalar (an inertia, an error).
  if (scalarKernel_.empty())
    scalarKernel_ =
        addKernel("kf", "p0: Tensor, s: f32", {"p0.value += 0.125 * tanh(s)"}, "s * 0.5");
  return scalarKernel_;
}

std::string Generator::whileKernel() {
  if (whileKernel_.empty())
    whileKernel_ = addKernel("more", "c: Tensor, lim: f32", {"c.value += 1"}, "sum(c.value) < lim");
  return whileKernel_;
}

} // namespace

Program generateProgram(uint64_t seed, const GeneratorOptions &options) {
  return Generator(seed, options).run();
}

} // namespace kiln::difftest
