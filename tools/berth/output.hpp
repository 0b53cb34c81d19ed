// Plain-text tables and JSON printing for the CLI.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::cli {

// Columns padded to their widest cell, separated by three spaces (as docker ps).
void print_table(std::ostream &out, const std::vector<std::string> &header,
                 const std::vector<std::vector<std::string>> &rows);

// A table whose columns are string fields of JSON rows: fields[i] under header[i].
void print_field_table(std::ostream &out, const std::vector<std::string> &header,
                       const std::vector<std::string> &fields,
                       const std::vector<nlohmann::json> &rows);

void print_json(std::ostream &out, const nlohmann::json &value);

// "24.0 GiB"
std::string human_bytes(std::uint64_t bytes);

} // namespace berth::cli
