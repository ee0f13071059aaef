// Prints programs in canonical notation: fixed indentation (4 spaces),
// keyword arguments in the order written, floats in the shortest form that
// parses back exactly, imports flattened into one self-contained text.
// print(parse(print(p))) == print(p).
#pragma once

#include <string>

#include "frontend/Program.h"

namespace kiln::frontend {

std::string printProgram(const Program &prog);
/// One element; multi-line elements are indented from `indent` spaces.
std::string printElement(const Element &e, unsigned indent = 0);
std::string printLiteral(const Literal &l);
std::string printKernel(const KernelDef &k);
std::string printExpr(const Expr &e);

} // namespace kiln::frontend
