// ConfigReader: uniform, key-naming validation of component configurations.
#include "runtime/components/Config.h"

#include <algorithm>

namespace kiln::runtime {

ConfigReader::ConfigReader(std::string what, const std::vector<ir::NamedAttribute> &config)
    : what_(std::move(what)), config_(config) {}

const ir::Attribute *ConfigReader::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end())
    known_.emplace_back(key);
  for (const ir::NamedAttribute &a : config_)
    if (a.name == key)
      return &a.value;
  return nullptr;
}

void ConfigReader::fail(std::string message) {
  if (error_.empty())
    error_ = std::move(message);
}

void ConfigReader::typeError(std::string_view key, std::string_view expected,
                             const ir::Attribute &got) {
  fail("key '" + std::string(key) + "' must be " + std::string(expected) + ", got " +
       got.str());
}

bool ConfigReader::has(std::string_view key) { return find(key) != nullptr; }

int64_t ConfigReader::integer(std::string_view key, std::optional<int64_t> fallback) {
  const ir::Attribute *a = find(key);
  if (!a) {
    if (!fallback)
      fail("missing required key '" + std::string(key) + "'");
    return fallback.value_or(0);
  }
  if (!a->isInt()) {
    typeError(key, "an integer", *a);
    return fallback.value_or(0);
  }
  return a->getInt();
}

int64_t ConfigReader::integerAtLeast(std::string_view key, int64_t minValue,
                                     std::optional<int64_t> fallback) {
  const ir::Attribute *a = find(key);
  int64_t v = integer(key, fallback);
  if (a && a->isInt() && v < minValue) {
    fail("key '" + std::string(key) + "' must be >= " + std::to_string(minValue) + ", got " +
         std::to_string(v));
    return minValue;
  }
  return v;
}

double ConfigReader::number(std::string_view key, std::optional<double> fallback) {
  const ir::Attribute *a = find(key);
  if (!a) {
    if (!fallback)
      fail("missing required key '" + std::string(key) + "'");
    return fallback.value_or(0.0);
  }
  if (!a->isNumber()) {
    typeError(key, "a number", *a);
    return fallback.value_or(0.0);
  }
  return a->getNumber();
}

bool ConfigReader::boolean(std::string_view key, std::optional<bool> fallback) {
  const ir::Attribute *a = find(key);
  if (!a) {
    if (!fallback)
      fail("missing required key '" + std::string(key) + "'");
    return fallback.value_or(false);
  }
  if (!a->isBool()) {
    typeError(key, "true or false", *a);
    return fallback.value_or(false);
  }
  return a->getBool();
}

std::string ConfigReader::string(std::string_view key, std::optional<std::string> fallback) {
  const ir::Attribute *a = find(key);
  if (!a) {
    if (!fallback)
      fail("missing required key '" + std::string(key) + "'");
    return fallback.value_or(std::string());
  }
  if (!a->isString()) {
    typeError(key, "a string", *a);
    return fallback.value_or(std::string());
  }
  return a->getString();
}

std::vector<int64_t> ConfigReader::intArray(std::string_view key) {
  const ir::Attribute *a = find(key);
  if (!a) {
    fail("missing required key '" + std::string(key) + "'");
    return {};
  }
  if (!a->isArray() || !a->isIntArray()) {
    typeError(key, "an array of integers", *a);
    return {};
  }
  return a->getIntArray();
}

bool ConfigReader::finish(std::string &error) {
  for (size_t i = 0; i < config_.size() && error_.empty(); ++i) {
    const std::string &name = config_[i].name;
    for (size_t j = 0; j < i; ++j)
      if (config_[j].name == name) {
        fail("key '" + name + "' given twice");
        break;
      }
    if (!error_.empty())
      break;
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) {
      std::string valid;
      for (const std::string &k : known_)
        valid += (valid.empty() ? "" : ", ") + k;
      fail("unknown key '" + name + "' (valid keys: " + valid + ")");
    }
  }
  if (error_.empty())
    return true;
  error = what_ + ": " + error_;
  return false;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace kiln::runtime
