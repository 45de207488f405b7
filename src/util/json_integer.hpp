#pragma once
// Integers of the JSON documents kmpkit reads back (its own records and manifests, which a user or
// a damaged disk may have changed). nlohmann's get<int64_t>() of a floating-point value is a C++
// cast, undefined behaviour when the value is out of range: a record with 1.8e30 for a file size
// found that (docs/hardening.md, finding 10). Only an integer in the type's range is taken.
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace kmpkit {

struct JsonIntegerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T json_integer(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (value.is_number_integer()) {
    auto i = value.get<int64_t>();
    if (std::in_range<T>(i)) return static_cast<T>(i);
  }
  throw JsonIntegerError("not an integer of the expected range: " + value.dump());
}

// object[key] as an integer, `fallback` when the object has no such key.
template <typename T>
T json_integer_or(const nlohmann::json& object, const char* key, T fallback) {
  auto it = object.find(key);
  return it == object.end() ? fallback : json_integer<T>(*it);
}

}  // namespace kmpkit
