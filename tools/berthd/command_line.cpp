#include "command_line.hpp"

#include <iostream>

namespace berth::berthd {

std::optional<int> parse_command_line(const std::vector<std::string> &args,
                                      const boost::program_options::options_description &options,
                                      const std::string &command, const std::string &usage) {
  namespace po = boost::program_options;
  po::variables_map values;
  try {
    po::store(po::command_line_parser(args).options(options).run(), values);
    po::notify(values);
  } catch (const po::error &error) {
    std::cerr << "berthd " << command << ": " << error.what() << "; run 'berthd " << command
              << " --help'\n";
    return 2;
  }
  if (values.count("help") != 0) {
    std::cout << usage << "\n" << options;
    return 0;
  }
  return std::nullopt;
}

} // namespace berth::berthd
