// Internal to the frontend: the state shared by program lowering
// (Lowering.cpp) and kernel lowering (KernelLowering.cpp).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Lowering.h"
#include "ir/Builder.h"

namespace kiln::frontend::detail {

struct ComponentInfo {
  const Decl *decl = nullptr;
  ir::ComponentSchema schema;
  std::optional<int64_t> seed;
};

/// A value while lowering a kernel expression: an SSA value, a number not
/// yet materialized (it takes the element type of what it meets), or a
/// component handle.
struct KValue {
  enum class Kind { Value, Number, Handle };
  Kind kind = Kind::Value;
  ir::Value *value = nullptr; // Value, Handle
  double number = 0;
  bool isInt = false;
  // Handle:
  std::string typeName;
  const std::vector<ir::StateFieldSchema> *fields = nullptr;
  bool writable = false;
  std::string label; // how the user named it, for messages
};

/// The "last value" while lowering elements: the results of the last CALL
/// or FILT that made any (several for a call with several results, such as
/// `dataset.next_labeled`); empty when nothing has made one yet.
using Flow = std::vector<ir::Value *>;

class LoweringContext {
public:
  LoweringContext(const Program &prog, const ir::ComponentCatalog &catalog,
                  ir::DiagnosticEngine &diag, const LowerOptions &opts)
      : prog_(prog), catalog_(catalog), diag_(diag), opts_(opts) {}

  std::unique_ptr<ir::Module> run();

  // ---- kernels (KernelLowering.cpp) ----
  /// The func for user kernel `k` as called by `use`, lowered on first use
  /// of its instance (instanceSymbol); null on error.
  ir::Operation *userKernel(const KernelDef &k, const Element &use);
  /// The func @comp.method for a built-in kernel method as called by `use`;
  /// null on error.
  ir::Operation *builtinKernel(const std::string &comp, const ir::MethodSchema &m,
                               const Element &use, const KernelDef **def);

  bool error(const SourceLoc &loc, std::string msg) {
    if (!failed_)
      diag_.error(loc, std::move(msg));
    failed_ = true;
    return false;
  }
  bool failed() const { return failed_; }

private:
  // ---- program lowering (Lowering.cpp) ----
  bool lowerComponents();
  static std::string resolveDataPath(const std::string &path, const SourceLoc &declLoc);
  Flow lowerElement(const Element &e, const Flow &last);
  Flow lowerSeqChildren(const std::vector<Element> &children, Flow last);
  Flow lowerRegion(ir::Region &r, const Element &e, const Flow &last, bool yieldValue);
  Flow lowerCall(const Element &e, const Flow &last);
  Flow lowerOpaqueCall(const Element &e, const Flow &last, const std::string &symbol,
                       const std::vector<ir::ParamSchema> &params, bool variadic,
                       const std::vector<ir::Type> &results);
  Flow lowerKernelCall(const Element &e, const Flow &last, const KernelDef &k,
                       ir::Operation *func, bool skipSelf);
  Flow lowerRef(const Element &e, const Flow &last);
  /// `x=comp.field` as a kernel argument: the field's current value, or
  /// null (error reported) when `v` names no field of a component.
  ir::Value *fieldArgument(const Literal &v, const SourceLoc &at);
  /// Refuses a program whose expansion exceeds kMaxExpandedElements, at the
  /// element or sub-program use where the count passes the limit.
  bool checkExpandedSize(const Element &body, size_t depth);
  bool checkExpandedSizeWalk(const Element &e, size_t depth, uint64_t &total);
  /// The expanded size of `e` (saturating); `depth` counts the sub-programs
  /// being expanded around it, as expanding_ does while lowering.
  uint64_t expandedSize(const Element &e, size_t depth);
  /// Reports the limit at `at`, which adds `size` elements (0: not known).
  void tooLarge(const Element &at, uint64_t size);
  std::optional<int64_t> resolveCount(const Literal &l, std::string_view what,
                                      const SourceLoc &loc);
  std::optional<ir::Attribute> literalAttr(const Literal &l, bool allowComponents);
  void declareNative(const std::string &name);
  /// Inserts module-level funcs before the entry func.
  ir::Builder moduleBuilder();

  // ---- kernels ----
  friend class KernelLowerer;
  using FieldList = std::vector<ir::StateFieldSchema>;
  /// The fields of the component `use` binds to parameter p.
  const FieldList *boundFields(const Param &p, const Element &use);
  /// The func name of the instance of kernel `k` (func name `base`) for the
  /// field types of the components `use` binds to its component parameters
  /// (from index `first`); `fields[i]` gets parameter i's fields.
  std::string instanceSymbol(const std::string &base, const KernelDef &k, size_t first,
                             const Element &use, std::vector<const FieldList *> &fields);
  /// Where the random streams of instance `symbol` of `base` start: null for
  /// the first instance (fresh streams, recorded), else the first's.
  std::optional<int64_t> instanceStreams(const std::string &base, const std::string &symbol);

  const Program &prog_;
  const ir::ComponentCatalog &catalog_;
  ir::DiagnosticEngine &diag_;
  LowerOptions opts_;
  bool failed_ = false;

  std::unique_ptr<ir::Module> module_;
  ir::Builder b_;
  ir::Operation *entryFunc_ = nullptr;
  std::map<std::string, ComponentInfo, std::less<>> components_;
  std::map<std::string, ir::Operation *, std::less<>> funcs_;
  std::vector<std::string> expanding_; // sub-programs being expanded (recursion check)
  std::map<const Decl *, uint64_t> expandedSizes_; // per sub-program body, once known
  std::vector<const Decl *> sizing_;               // sub-programs being sized
  uint64_t loweredElements_ = 0;
  int64_t nextStream_ = 0;
  std::map<std::string, std::unique_ptr<Program>> kernelSources_; // per component
  std::map<std::string, std::vector<std::string>> instances_; // per kernel: instance keys
  std::map<std::string, int64_t> firstStreams_; // per kernel: its first instance's streams
  ir::SourceManager localSources_;
};

} // namespace kiln::frontend::detail
