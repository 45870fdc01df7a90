// File names and label lines are bytes on Linux, in whatever encoding; JSON text must be UTF-8
// (nlohmann throws type_error 316 on anything else) and messages should be readable.
#pragma once

#include <string>

namespace qyolo::data {

// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_utf8(const std::string& bytes);

// `bytes` with every byte outside printable ASCII written as \xNN: shows exactly what a line or
// name holds, and is always valid UTF-8.
std::string escape_bytes(const std::string& bytes);

}  // namespace qyolo::data
