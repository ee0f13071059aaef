// Tensor: model state that is not a built-in component, one field `value`
// that kernels read and write as `w.value`.
//
//   w = Tensor(shape=[784, 10], init="zeros")        (default)
//   w = Tensor(shape=[784, 10], init="ones")
//   w = Tensor(shape=[784, 10], init="randn", scale=0.01, seed=1)
//   w = Tensor(shape=[10], init="uniform", low=-1, high=1, seed=1)
//   dtype="f32" (default) or "f64"; shape=[] is a scalar.
//
// Random initial values come from Philox stream (seed, 0), element i at
// offset i, so the same configuration always starts from the same values.
#include "ir/Types.h"
#include "runtime/components/Builtins.h"
#include "runtime/components/Config.h"
#include "runtime/components/ConfiguredType.h"
#include "runtime/components/FieldComponent.h"

namespace kiln::runtime {
namespace {

struct TensorConfig {
  std::vector<int64_t> shape;
  ElemType dtype = ElemType::F32;
  std::string init;
  uint64_t seed = 0;
  double scale = 1.0, low = 0.0, high = 1.0;
};

std::optional<TensorConfig> parseConfig(std::string_view constructor,
                                        const std::vector<ir::NamedAttribute> &config,
                                        std::string &error) {
  if (!rejectConstructor("Tensor", constructor, error))
    return std::nullopt;
  TensorConfig c;
  ConfigReader r("Tensor", config);
  c.shape = r.intArray("shape");
  int64_t total = 1;
  for (int64_t d : c.shape)
    if (d < 1 || __builtin_mul_overflow(total, d, &total) || total > ir::kMaxTensorElements) {
      r.fail("key 'shape' must list positive sizes of at most 2^32 elements in all, got " +
             shapeString(c.shape));
      break;
    }
  std::string dtype = r.string("dtype", "f32");
  if (dtype == "f64")
    c.dtype = ElemType::F64;
  else if (dtype != "f32")
    r.fail("key 'dtype' must be \"f32\" or \"f64\", got " + ir::quoteString(dtype));
  c.init = r.string("init", "zeros");
  if (c.init == "randn") {
    c.scale = r.number("scale", 1.0);
  } else if (c.init == "uniform") {
    c.low = r.number("low", 0.0);
    c.high = r.number("high", 1.0);
    if (!(c.low <= c.high))
      r.fail("key 'low' must not exceed 'high'");
  } else if (c.init != "zeros" && c.init != "ones") {
    r.fail("key 'init' must be \"zeros\", \"ones\", \"randn\" or \"uniform\", got " +
           ir::quoteString(c.init));
  }
  c.seed = static_cast<uint64_t>(r.integer("seed", 0));
  if (!r.finish(error))
    return std::nullopt;
  return c;
}

class TensorComponent : public FieldComponent {
public:
  explicit TensorComponent(const TensorConfig &c) : FieldComponent("Tensor", {}) {
    Tensor value;
    if (c.init == "zeros")
      value = Tensor::zeros(c.dtype, c.shape);
    else if (c.init == "ones")
      value = Tensor::full(c.dtype, c.shape, 1.0);
    else if (c.init == "randn")
      value = randomNormal(c.dtype, c.shape, c.seed, 0, c.scale);
    else
      value = randomUniform(c.dtype, c.shape, c.seed, 0, c.low, c.high);
    addState("value", std::move(value), /*isField=*/true);
  }

  std::unique_ptr<Component> clone() const override {
    return std::make_unique<TensorComponent>(*this);
  }

  std::string describe() const override { return "Tensor: " + state(0).str(16); }
};

ir::ComponentSchema schemaFor(const TensorConfig &c) {
  ir::ComponentSchema s;
  s.typeName = "Tensor";
  s.fields = {{"value", ir::Type::shaped(c.dtype, c.shape)}};
  return s;
}

} // namespace

std::unique_ptr<ComponentType> makeTensorType() {
  return std::make_unique<ConfiguredType<TensorConfig, TensorComponent>>("Tensor", parseConfig,
                                                                       schemaFor);
}

} // namespace kiln::runtime
