#include "Program.h"

namespace kiln::difftest {

namespace {

const char *kindName(Elem::Kind k) {
  switch (k) {
  case Elem::Kind::Call: return "CALL";
  case Elem::Kind::Filt: return "FILT";
  case Elem::Kind::Seq: return "SEQ";
  case Elem::Kind::Repeat: return "REPEAT";
  case Elem::Kind::BufferRepeat: return "BUFFER_REPEAT";
  case Elem::Kind::Loop: return "LOOP";
  case Elem::Kind::While: return "WHILE";
  case Elem::Kind::Switch: return "SWITCH";
  case Elem::Kind::Choose: return "CHOOSE";
  case Elem::Kind::Weave: return "WEAVE";
  case Elem::Kind::Sub: return "";
  }
  return "?";
}

void printKwargs(const std::vector<KwArg> &kw, std::string &out) {
  for (const KwArg &a : kw)
    out += ", " + a.key + "=" + a.value;
}

// Children one per line, as the canonical printer does for SEQ/WEAVE/SWITCH.
void printKids(const std::vector<std::string> &kids, unsigned indent, std::string &out) {
  std::string pad(4 * (indent + 1), ' ');
  for (size_t i = 0; i < kids.size(); ++i)
    out += "\n" + pad + kids[i] + (i + 1 < kids.size() ? "," : "");
}

void walk(const Elem &e, bool &weave) {
  if (e.kind == Elem::Kind::Weave)
    weave = true;
  for (const Elem &k : e.kids)
    walk(k, weave);
}

size_t count(const Elem &e) {
  size_t n = 1;
  for (const Elem &k : e.kids)
    n += count(k);
  return n;
}

} // namespace

std::string printElem(const Elem &e, unsigned indent) {
  std::string out;
  switch (e.kind) {
  case Elem::Kind::Call:
  case Elem::Kind::Filt:
    out = std::string(kindName(e.kind)) + "(" + e.callee;
    printKwargs(e.kwargs, out);
    return out + ")";
  case Elem::Kind::Sub: return e.callee;
  case Elem::Kind::Repeat:
  case Elem::Kind::BufferRepeat:
    return std::string(kindName(e.kind)) + "(" + std::to_string(e.count) + ", " +
           (e.kids.empty() ? std::string("?") : printElem(e.kids[0], indent)) + ")";
  case Elem::Kind::Loop:
    return "LOOP(" + (e.kids.empty() ? std::string("?") : printElem(e.kids[0], indent)) + ")";
  case Elem::Kind::While:
    return "WHILE(" + (e.kids.size() > 0 ? printElem(e.kids[0], indent) : "?") + ", " +
           (e.kids.size() > 1 ? printElem(e.kids[1], indent) : "?") + ")";
  case Elem::Kind::Seq:
  case Elem::Kind::Weave: {
    std::vector<std::string> kids;
    for (const Elem &k : e.kids)
      kids.push_back(printElem(k, indent + 1));
    out = e.kind == Elem::Kind::Seq ? "SEQ([" : "WEAVE(" + std::to_string(e.count) + ", [";
    printKids(kids, indent, out);
    return out + "])";
  }
  case Elem::Kind::Switch:
  case Elem::Kind::Choose: {
    std::vector<std::string> kids;
    for (size_t i = 0; i < e.kids.size(); ++i) {
      std::string k = printElem(e.kids[i], indent + 1);
      if (e.caseForm) {
        bool isDefault = e.hasDefault && i + 1 == e.kids.size();
        k = isDefault
                ? "DEFAULT(" + k + ")"
                : "CASE(" + std::to_string(i < e.cases.size() ? e.cases[i] : 0) + ", " + k + ")";
      }
      kids.push_back(k);
    }
    out = std::string(kindName(e.kind)) + "(";
    printKids(kids, indent, out);
    return out + ")";
  }
  }
  return out;
}

std::string Program::print() const {
  std::string out;
  for (const Component &c : components) {
    out += c.name + " = " + c.type + "(";
    for (size_t i = 0; i < c.kwargs.size(); ++i)
      out += (i ? ", " : "") + c.kwargs[i].key + "=" + c.kwargs[i].value;
    out += ")\n";
  }
  for (const Kernel &k : kernels) {
    out += "\nkernel " + k.name + "(" + k.params + ") {\n";
    for (const std::string &s : k.updates)
      out += "    " + s + "\n";
    if (!k.result.empty())
      out += "    return " + k.result + "\n";
    out += "}\n";
  }
  for (const SubProgram &s : subs)
    out += "\n" + s.name + " = " + printElem(s.body) + "\n";
  out += "\nmain = " + printElem(main) + "\n";
  return out;
}

bool Program::usesWeave() const {
  bool weave = false;
  walk(main, weave);
  for (const SubProgram &s : subs)
    walk(s.body, weave);
  return weave;
}

size_t Program::size() const {
  size_t n = count(main);
  for (const SubProgram &s : subs)
    n += count(s.body);
  return n;
}

} // namespace kiln::difftest
