// What berthd's commands share on their command lines.
#pragma once

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

namespace berth::berthd {

// Parses args against options. Returns the exit code when the command is
// done already: 0 after printing help (usage, then the options), 2 after a
// one-line error naming the command; nullopt when it should run.
std::optional<int> parse_command_line(const std::vector<std::string> &args,
                                      const boost::program_options::options_description &options,
                                      const std::string &command, const std::string &usage);

} // namespace berth::berthd
