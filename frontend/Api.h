// The C++ builder API: the seed's control-flow elements as C++ functions, so
// a C++ user builds programs the way the seed builds them in Python:
//
//   kiln::frontend::Program prog;
//   auto dataset = prog.component("dataset", "Dataset.randn",
//                                 {{"rows", 13}, {"cols", 1}, {"seed", 123}});
//   auto pca = prog.component("pca", "PCA", {{"dims", 1}});
//   prog.setMain(kiln::SEQ({kiln::BUFFER_REPEAT(1000, kiln::CALL(dataset, "next")),
//                           kiln::FILT(pca, "analyze")}));
//   if (!prog.find(kiln::CALL(dataset, "next")).insert_after(kiln::CALL("my_debugfn")))
//     ...   // nothing matched
//
// A native C++ callable is CALLed by the name it is registered under in the
// runtime's Registry (`CALL("my_debugfn")`); the frontend only needs its name.
#pragma once

#include <string>
#include <vector>

#include "frontend/Program.h"

namespace kiln {

using frontend::ComponentHandle;
using frontend::Element;
using frontend::KwArg;
using frontend::Literal;

namespace detail {
inline Element makeCall(frontend::ElementKind kind, std::string callee,
                        std::vector<KwArg> kwargs) {
  Element e;
  e.kind = kind;
  e.callee = std::move(callee);
  e.kwargs = std::move(kwargs);
  return e;
}
inline Element makeNode(frontend::ElementKind kind, Literal count,
                        std::vector<Element> children) {
  Element e;
  e.kind = kind;
  e.count = std::move(count);
  e.children = std::move(children);
  return e;
}
} // namespace detail

/// CALL("dataset.next"), CALL("cd1_update", {{"layer", layer1}, {"lr", 0.1}}).
inline Element CALL(std::string callee, std::vector<KwArg> kwargs = {}) {
  return detail::makeCall(frontend::ElementKind::Call, std::move(callee), std::move(kwargs));
}
/// CALL(dataset, "next"): a method of a declared component.
inline Element CALL(const ComponentHandle &c, const std::string &method,
                    std::vector<KwArg> kwargs = {}) {
  return CALL(c.name + "." + method, std::move(kwargs));
}
inline Element FILT(std::string callee, std::vector<KwArg> kwargs = {}) {
  return detail::makeCall(frontend::ElementKind::Filt, std::move(callee), std::move(kwargs));
}
inline Element FILT(const ComponentHandle &c, const std::string &method,
                    std::vector<KwArg> kwargs = {}) {
  return FILT(c.name + "." + method, std::move(kwargs));
}
inline Element SEQ(std::vector<Element> children) {
  return detail::makeNode(frontend::ElementKind::Seq, {}, std::move(children));
}
inline Element REPEAT(Literal n, Element body) {
  return detail::makeNode(frontend::ElementKind::Repeat, std::move(n), {std::move(body)});
}
inline Element BUFFER_REPEAT(Literal n, Element body) {
  return detail::makeNode(frontend::ElementKind::BufferRepeat, std::move(n), {std::move(body)});
}
inline Element LOOP(Element body) {
  return detail::makeNode(frontend::ElementKind::Loop, {}, {std::move(body)});
}
inline Element WHILE(Element cond, Element body) {
  return detail::makeNode(frontend::ElementKind::While, {}, {std::move(cond), std::move(body)});
}
/// SWITCH({a, b, c}) picks child i for last value i; or
/// SWITCH({CASE(3, a), CASE(7, b), DEFAULT(c)}).
inline Element SWITCH(std::vector<Element> cases) {
  return detail::makeNode(frontend::ElementKind::Switch, {}, std::move(cases));
}
inline Element CHOOSE(std::vector<Element> cases) { return SWITCH(std::move(cases)); }
inline Element CASE(int64_t value, Element body) {
  return detail::makeNode(frontend::ElementKind::Case, Literal(value), {std::move(body)});
}
inline Element DEFAULT(Element body) {
  return detail::makeNode(frontend::ElementKind::Default, {}, {std::move(body)});
}
inline Element WEAVE(Literal nRequired, std::vector<Element> children) {
  return detail::makeNode(frontend::ElementKind::Weave, std::move(nRequired), std::move(children));
}
/// A named sub-program used inside another: SEQ({SUB("train_pca"), ...}).
inline Element SUB(std::string name) {
  Element e;
  e.kind = frontend::ElementKind::Ref;
  e.callee = std::move(name);
  return e;
}
/// `*` in hook patterns: any element, or any keyword value / count.
inline Element ANY() {
  Element e;
  e.kind = frontend::ElementKind::Any;
  return e;
}
inline Literal ANY_VALUE() { return Literal::wildcard(); }
/// A reference to a declared name as a keyword value (`layer=layer1`).
inline Literal NAME(std::string n) { return Literal::name(std::move(n)); }

} // namespace kiln
