// The random fused-group generator (see FusedGroupGen.h).
#include "tests/unit/codegen/FusedGroupGen.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ir/ShapeInference.h"
#include "ir/Types.h"

namespace kiln::codegen::testing {

namespace {

using ir::ElemType;
using ir::Type;

struct Rng {
  uint64_t s;
  uint64_t next() { // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t below(int64_t n) { return static_cast<int64_t>(next() % uint64_t(n)); }
  bool chance(int percent) { return below(100) < percent; }
  template <class T> const T &pick(const std::vector<T> &v) { return v[size_t(below(int64_t(v.size())))]; }
};

struct Val {
  std::string name;
  Type type;
};

std::string floatLit(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

class Generator {
public:
  Generator(uint64_t seed, int matmul, bool big)
      : rng_{seed * 0x2545F4914F6CDD1Dull + 7}, matmul_(matmul), big_(big) {}

  GeneratedCase run() {
    ft_ = rng_.chance(20) ? ElemType::F64 : ElemType::F32;
    bool mm = matmul_ == 1 || (matmul_ < 0 && rng_.chance(30));
    if (mm)
      planMatmulSpace();
    else
      planSpace();
    makeInputs(mm);
    body(mm);
    return finish();
  }

private:
  // ---- the space and the inputs ----------------------------------------------

  void planSpace() {
    int rank = 1 + int(rng_.below(3));
    static const std::vector<int64_t> sizes = {1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33, 64, 100};
    static const std::vector<int64_t> bigSizes = {1, 9, 64, 100, 257, 1000, 4099, 70000, 300001};
    const int64_t limit = big_ ? 300001 : 6000;
    int64_t total = 1;
    for (int d = 0; d < rank; ++d) {
      int64_t s = rng_.pick(big_ ? bigSizes : sizes);
      while (total * s > limit)
        s = std::max<int64_t>(1, s / 2);
      total *= s;
      space_.push_back(s);
    }
    if (rng_.chance(35)) {
      dyn_ = int(rng_.below(rank));
      if (space_[size_t(dyn_)] == 1)
        dyn_ = -1;
    }
  }

  void planMatmulSpace() {
    auto dim = [&] { return big_ ? 150 + rng_.below(250) : 1 + rng_.below(rng_.chance(50) ? 9 : 70); };
    m_ = dim();
    n_ = dim();
    k_ = dim();
    space_ = {m_, n_};
    transA_ = rng_.chance(40);
    transB_ = rng_.chance(40);
    // Sometimes a second product of the same shape (`a.T @ b - c.T @ d`).
    two_ = rng_.chance(35);
    k2_ = dim();
    transC_ = rng_.chance(40);
    transD_ = rng_.chance(40);
    if (rng_.chance(30))
      dyn_ = 0;
  }

  Type spaceType(ElemType e) const { return Type::shaped(e, space_); }
  Type typed(ElemType e, const std::vector<int64_t> &dims) const { return Type::shaped(e, dims); }

  std::string fresh(const char *p) { return std::string("%") + p + std::to_string(nextId_++); }

  /// A random tensor of `dims` in main, scaled; returns its value.
  Val draw(const std::vector<int64_t> &dims) {
    Type t = typed(ft_, dims);
    std::string g = fresh("g");
    main_ += "    " + g + " = " + (rng_.chance(70) ? "random_normal" : "random_uniform") +
             " {seed = " + std::to_string(5 + rng_.below(3)) + ", stream = " +
             std::to_string(rng_.below(4)) + "} : " + t.str() + "\n";
    static const std::vector<double> scales = {1.0, 3.0, 0.25, 100.0, -2.0};
    std::string c = fresh("s"), v = fresh("in");
    main_ += "    " + c + " = constant " + floatLit(rng_.pick(scales)) + " : " +
             Type::scalar(ft_).str() + "\n";
    main_ += "    " + v + " = mul " + g + ", " + c + " : " + t.str() + "\n";
    return {v, t};
  }

  /// Gives `v` the type with `?` at dimension `d` (a reshape).
  Val dynamic(const Val &v, int d) {
    std::vector<int64_t> dims = v.type.dims();
    dims[size_t(d)] = ir::kDynamic;
    Type t = typed(v.type.elem(), dims);
    std::string r = fresh("d");
    main_ += "    " + r + " = reshape " + v.name + " : " + t.str() + "\n";
    return {r, t};
  }

  void makeInputs(bool mm) {
    if (mm) {
      std::vector<int64_t> a = transA_ ? std::vector<int64_t>{k_, m_} : std::vector<int64_t>{m_, k_};
      std::vector<int64_t> bdims = transB_ ? std::vector<int64_t>{n_, k_} : std::vector<int64_t>{k_, n_};
      Val A = draw(a), B = draw(bdims);
      if (dyn_ == 0 && m_ > 1)
        A = dynamic(A, transA_ ? 1 : 0);
      inputs_.push_back(A);
      inputs_.push_back(B);
      if (two_) {
        Val C = draw(transC_ ? std::vector<int64_t>{k2_, m_} : std::vector<int64_t>{m_, k2_});
        Val D = draw(transD_ ? std::vector<int64_t>{n_, k2_} : std::vector<int64_t>{k2_, n_});
        if (dyn_ == 0 && m_ > 1)
          C = dynamic(C, transC_ ? 1 : 0);
        inputs_.push_back(C);
        inputs_.push_back(D);
      }
    }
    int n = 1 + int(rng_.below(3));
    for (int i = 0; i < n; ++i) {
      int r = int(space_.size());
      int rank = (i == 0 && !mm) ? r : 1 + int(rng_.below(r + 1)) - 1;
      if (rank == 0 && rng_.chance(50))
        rank = r;
      std::vector<int64_t> dims;
      for (int j = 0; j < rank; ++j) {
        int64_t s = space_[size_t(r - rank + j)];
        dims.push_back((i == 0 && !mm) || rng_.chance(60) ? s : 1);
      }
      Val v = draw(dims);
      int d = dyn_ - (r - rank);
      if (dyn_ >= 0 && d >= 0 && d < rank && dims[size_t(d)] != 1)
        v = dynamic(v, d);
      else if (dyn_ >= 0 && d >= 0 && d < rank && i > 0 && rng_.chance(15)) {
        v = dynamic(v, d); // a `?` that is 1 at run time: broadcasting the kernel declines
        expectDecline_ = true;
      }
      inputs_.push_back(v);
    }
  }

  // ---- the region --------------------------------------------------------------

  std::string argName(size_t k) { return "%p" + std::to_string(k); }

  void emit(const std::string &line) { region_ += "      " + line + "\n"; }

  Val op1(const std::string &mnem, const Val &a, const Type &t) {
    Val r{fresh("v"), t};
    emit(r.name + " = " + mnem + " " + a.name + " : " + t.str());
    return r;
  }
  Val op2(const std::string &mnem, const Val &a, const Val &b, std::optional<Type> t = {}) {
    Type rt = t ? *t : *ir::broadcastTypes(a.type, b.type);
    Val r{fresh("v"), rt};
    emit(r.name + " = " + mnem + " " + a.name + ", " + b.name + " : " + rt.str());
    return r;
  }
  Val constant(ElemType e) {
    static const std::vector<double> normal = {2.0, 0.5, -1.0, 3.0, 10.0, 1e-3};
    static const std::vector<double> special = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e30, 1e-40};
    double v = rng_.chance(15) ? rng_.pick(special) : rng_.pick(normal);
    Val r{fresh("c"), Type::scalar(e)};
    emit(r.name + " = constant " + floatLit(v) + " : " + r.type.str());
    return r;
  }
  Type withElem(const Type &t, ElemType e) { return t.withElem(e); }

  /// A float operand: recent values preferred, sometimes a constant.
  Val operand() {
    if (rng_.chance(12))
      return constant(ft_);
    size_t n = floats_.size();
    size_t back = size_t(rng_.below(std::min<int64_t>(int64_t(n), 4)));
    return rng_.chance(70) ? floats_[n - 1 - back] : rng_.pick(floats_);
  }

  bool isFull(const Type &t) const {
    if (t.rank() != int64_t(space_.size()))
      return false;
    for (size_t d = 0; d < space_.size(); ++d)
      if (space_[d] != 1 && t.dim(int64_t(d)) == 1)
        return false;
    return true;
  }
  Val fullValue() {
    std::vector<Val> full;
    for (const Val &v : floats_)
      if (isFull(v.type))
        full.push_back(v);
    if (full.empty())
      return floats_.back();
    return rng_.chance(60) ? full.back() : rng_.pick(full);
  }

  void step() {
    static const std::vector<std::string> unary = {"neg", "abs", "sqrt", "relu", "exp",
                                                   "log", "tanh", "sigmoid"};
    static const std::vector<std::string> binary = {"add", "sub", "mul", "div",
                                                    "max", "min", "pow"};
    static const std::vector<std::string> cmp = {"eq", "ne", "lt", "le", "gt", "ge"};
    int kind = int(rng_.below(100));
    if (kind < 25) {
      Val a = operand();
      if (a.type.isScalar())
        a = floats_.back();
      floats_.push_back(op1(rng_.pick(unary), a, a.type));
    } else if (kind < 60) {
      Val a = operand(), b = operand();
      const std::string &op = rng_.pick(binary);
      expectUnsupported_ |= op == "pow" && ft_ != ElemType::F32; // f64 pow: glibc, interpreted
      floats_.push_back(op2(op, a, b));
    } else if (kind < 70) { // compare + select
      Val a = operand(), b = operand(), x = operand(), y = operand();
      Val c = op2(rng_.pick(cmp), a, b, withElem(*ir::broadcastTypes(a.type, b.type), ElemType::I1));
      Type t = *ir::broadcastTypes(*ir::broadcastTypes(c.type.withElem(ft_), x.type), y.type);
      Val r{fresh("v"), t};
      emit(r.name + " = select " + c.name + ", " + x.name + ", " + y.name + " : " + t.str());
      floats_.push_back(r);
    } else if (kind < 78) { // through i64
      Val a = fullValue();
      Val big = op2("mul", a, constant(ft_));
      Val i = op1("cast", big, big.type.withElem(ElemType::I64));
      static const std::vector<std::string> iops = {"add", "sub", "mul", "div", "max", "min"};
      Val j = rng_.chance(50) ? op2(rng_.pick(iops), i, i) : op1(rng_.chance(50) ? "abs" : "neg", i, i.type);
      if (rng_.chance(30)) {
        Val c = op2(rng_.pick(cmp), j, i, j.type.withElem(ElemType::I1));
        floats_.push_back(op1("cast", c, c.type.withElem(ft_)));
      } else {
        floats_.push_back(op1("cast", j, j.type.withElem(ft_)));
      }
    } else if (kind < 83) { // through i1
      Val a = operand(), b = fullValue();
      Val p = op1("cast", a, a.type.withElem(ElemType::I1));
      Val q = op1("cast", b, b.type.withElem(ElemType::I1));
      static const std::vector<std::string> bops = {"add", "mul", "max", "min", "sub"};
      Val r = op2(rng_.pick(bops), p, q);
      floats_.push_back(op1("cast", r, r.type.withElem(ft_)));
    } else if (kind < 88) { // through the other float type
      ElemType other = ft_ == ElemType::F32 ? ElemType::F64 : ElemType::F32;
      Val a = fullValue();
      Val w = op1("cast", a, a.type.withElem(other));
      Val e = op1(rng_.chance(50) ? "sigmoid" : "tanh", w, w.type);
      floats_.push_back(op1("cast", e, e.type.withElem(ft_)));
    } else { // random draws
      Val shape = fullValue();
      std::string key = " {seed = " + std::to_string(5 + rng_.below(3)) + ", stream = " +
                        std::to_string(rng_.below(6)) + "}";
      Val r{fresh("v"), shape.type};
      int k = int(rng_.below(3));
      if (k == 2) {
        Val p = op1("sigmoid", shape, shape.type);
        emit(r.name + " = random_bernoulli " + p.name + key + " : " + r.type.str());
      } else if (shape.type.hasStaticShape() && rng_.chance(50)) {
        emit(r.name + " = " + (k ? "random_normal" : "random_uniform") + key + " : " +
             r.type.str());
      } else {
        emit(r.name + " = " + (k ? "random_normal " : "random_uniform ") + shape.name + key +
             " : " + r.type.str());
      }
      floats_.push_back(r);
    }
  }

  void body(bool mm) {
    for (size_t k = 0; k < inputs_.size(); ++k)
      floats_.push_back({argName(k), inputs_[k].type});
    if (mm) {
      // A and B (and C and D) feed only the products.
      floats_.erase(floats_.begin(), floats_.begin() + (two_ ? 4 : 2));
      std::vector<int64_t> mn = {dyn_ == 0 && m_ > 1 ? ir::kDynamic : m_, n_};
      auto product = [&](size_t a, bool ta, bool tb) {
        Val p{fresh("mm"), typed(ft_, mn)};
        std::string attrs;
        if (ta || tb) {
          attrs = " {";
          if (ta)
            attrs += "transpose_a = true";
          if (tb)
            attrs += std::string(ta ? ", " : "") + "transpose_b = true";
          attrs += "}";
        }
        emit(p.name + " = matmul " + argName(a) + ", " + argName(a + 1) + attrs + " : " +
             p.type.str());
        return p;
      };
      Val p = product(0, transA_, transB_);
      floats_.push_back(p);
      if (two_) {
        Val q = product(2, transC_, transD_);
        floats_.push_back(q);
        if (rng_.chance(70))
          floats_.push_back(op2("sub", p, q));
      }
    }
    int n = 1 + int(rng_.below(mm ? 5 : 9));
    for (int i = 0; i < n; ++i)
      step();
    // Results: one or two full-shape values, maybe a reduction.
    Val r0 = fullValue();
    if (!isFull(r0.type) || (r0.name[1] == 'p'))
      r0 = op2("add", r0, fullValue());
    for (size_t k = 0; !isFull(r0.type) && k < floats_.size(); ++k)
      if (isFull(floats_[k].type))
        r0 = op2("add", r0, floats_[k]);
    yields_.push_back(r0);
    if (rng_.chance(35)) {
      Val r1 = fullValue();
      if (isFull(r1.type) && r1.name[1] != 'p')
        yields_.push_back(r1);
    }
    if (rng_.chance(45))
      reduction();
  }

  void reduction() {
    Val x = fullValue();
    if (!isFull(x.type) || x.name[1] == 'p')
      return;
    static const std::vector<std::string> kinds = {"reduce_sum", "reduce_mean", "reduce_max",
                                                   "reduce_min", "reduce_argmax"};
    std::string k = rng_.pick(kinds);
    int rank = int(space_.size());
    std::optional<int64_t> axis = int64_t(rng_.below(rank));
    bool outerOnes = true;
    for (int d = 0; d + 1 < rank; ++d)
      outerOnes = outerOnes && space_[size_t(d)] == 1;
    if ((rank == 1 || outerOnes) && dyn_ < 0 && rng_.chance(30))
      axis.reset();
    bool argmax = k == "reduce_argmax";
    if (argmax && axis && *axis != rank - 1)
      expectUnsupported_ = true;
    Type t = *ir::reduceType(x.type, axis, argmax);
    Val r{fresh("v"), t};
    emit(r.name + " = " + k + " " + x.name + (axis ? " {axis = " + std::to_string(*axis) + "}" : "") +
         " : " + t.str());
    yields_.push_back(r);
  }

  // ---- the module ---------------------------------------------------------------

  /// The run-time shape of a yielded type (the `?` is the space's size).
  std::vector<int64_t> runtimeDims(const Type &t) const {
    std::vector<int64_t> dims = t.dims();
    size_t off = space_.size() - dims.size();
    for (size_t i = 0; i < dims.size(); ++i)
      if (dims[i] == ir::kDynamic)
        dims[i] = space_[off + i];
    return dims;
  }

  GeneratedCase finish() {
    std::string comps, stores, types, args, yields;
    for (size_t k = 0; k < inputs_.size(); ++k) {
      args += (k ? ", " : "") + inputs_[k].name;
      types += (k ? ", " : "") + argName(k) + ": " + inputs_[k].type.str();
    }
    std::string results, resultTypes;
    for (size_t k = 0; k < yields_.size(); ++k) {
      const Val &y = yields_[k];
      std::string r = "%r" + std::to_string(k);
      results += (k ? ", " : "") + r;
      resultTypes += (k ? ", " : "") + y.type.str();
      yields += (k ? ", " : "") + y.name;
      std::vector<int64_t> dims = runtimeDims(y.type);
      ElemType store = y.type.elem() == ElemType::I64 ? ElemType::F64 : y.type.elem();
      std::string shape = "[";
      for (size_t i = 0; i < dims.size(); ++i)
        shape += (i ? ", " : "") + std::to_string(dims[i]);
      shape += "]";
      comps += "  component @o" + std::to_string(k) + " : Tensor {shape = " + shape +
               ", dtype = \"" + std::string(ir::elemTypeName(store)) + "\"}\n";
      std::string v = r;
      if (y.type.elem() == ElemType::I64) {
        v = "%f" + std::to_string(k);
        stores += "      " + v + " = cast " + r + " : " + y.type.withElem(store).str() + "\n";
      }
      stores += "      %h" + std::to_string(k) + " = component_ref @o" + std::to_string(k) +
                " : !Tensor\n";
      stores += "      state_store %h" + std::to_string(k) + ", " + v + " {field = \"value\"}\n";
    }
    int repeats = 1 + int(rng_.below(2));
    std::string text = "module @t {\n" + comps + "  func @main() {\n" + main_ +
                       "    repeat " + std::to_string(repeats) + " {\n" +
                       "      " + results + " = fused @k0(" + args + ") : " + resultTypes + " {\n" +
                       "      ^bb0(" + types + "):\n" + region_ + "        yield " + yields +
                       "\n      }\n" + stores + "    }\n  }\n}\n";
    // Region ops are indented one level deeper than emitted.
    return {text, !expectUnsupported_, expectDecline_};
  }

  Rng rng_;
  int matmul_;
  bool two_ = false, transC_ = false, transD_ = false;
  int64_t k2_ = 0;
  bool big_;
  ElemType ft_ = ElemType::F32;
  std::vector<int64_t> space_;
  int dyn_ = -1;
  int64_t m_ = 0, n_ = 0, k_ = 0;
  bool transA_ = false, transB_ = false;
  int nextId_ = 0;
  std::vector<Val> inputs_, floats_, yields_;
  std::string main_, region_;
  bool expectDecline_ = false, expectUnsupported_ = false;
};

} // namespace

GeneratedCase generateFusedCase(uint64_t seed, int matmul, bool big) {
  return Generator(seed, matmul, big).run();
}

} // namespace kiln::codegen::testing
