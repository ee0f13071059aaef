// ConfiguredType: the ComponentType of a built-in whose schema and instances
// both follow from one parsed configuration struct.
//
// resolve() = parse + schemaFor(config); create() = parse + Instance(config).
// Parsing twice (once for the compiler's schema, once for the VM's instance)
// is what lets a checkpoint store only (type, constructor, config, state).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/Registry.h"

namespace kiln::runtime {

template <class Config, class Instance>
class ConfiguredType final : public ComponentType {
public:
  using ParseFn = std::optional<Config> (*)(std::string_view constructor,
                                            const std::vector<ir::NamedAttribute> &config,
                                            std::string &error);
  using SchemaFn = ir::ComponentSchema (*)(const Config &);

  ConfiguredType(std::string name, ParseFn parse, SchemaFn schema)
      : name_(std::move(name)), parse_(parse), schema_(schema) {}

  std::string_view name() const override { return name_; }

  std::optional<ir::ComponentSchema> resolve(std::string_view constructor,
                                             const std::vector<ir::NamedAttribute> &config,
                                             std::string &error) const override {
    std::optional<Config> c = parse_(constructor, config, error);
    if (!c)
      return std::nullopt;
    return schema_(*c);
  }

  std::unique_ptr<Component> create(std::string_view constructor,
                                    const std::vector<ir::NamedAttribute> &config,
                                    std::string &error) const override {
    std::optional<Config> c = parse_(constructor, config, error);
    if (!c)
      return nullptr;
    return std::make_unique<Instance>(*c);
  }

private:
  std::string name_;
  ParseFn parse_;
  SchemaFn schema_;
};

} // namespace kiln::runtime
