#include "cli.hpp"
#include "output.hpp"

#include <iostream>

namespace berth::cli {
namespace {

int run_df(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Disk usage options");
  add_format_option(options);
  auto parsed = parse_command(context, args, "system df [OPTIONS]",
                              "Show the disk space images, layers and blobs take.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = format_option(parsed.vm);
  auto engine = context.open_engine();
  const auto u = value_or_fail(value_or_fail(engine->images())->disk_usage());
  if (format == Format::json) {
    print_json(std::cout, u);
    return kExitOk;
  }
  print_table(std::cout, {"TYPE", "TOTAL", "SIZE", "RECLAIMABLE"},
              {{"Images", std::to_string(u["Images"]["Total"].get<std::size_t>()), "-",
                human_bytes(u["Images"]["Reclaimable"].get<std::uint64_t>())},
               {"Layers (" + u["Layers"]["Driver"].get<std::string>() + ")",
                std::to_string(u["Layers"]["Total"].get<std::size_t>()),
                human_bytes(u["Layers"]["Size"].get<std::uint64_t>()), "-"},
               {"Blobs", std::to_string(u["Blobs"]["Total"].get<std::size_t>()),
                human_bytes(u["Blobs"]["Size"].get<std::uint64_t>()), "-"}});
  return kExitOk;
}

} // namespace

Command system_command() {
  return {"system", "engine-wide information: df",
          [](Context &context, const std::vector<std::string> &args) {
            return run_group(context, args, "system", "Engine-wide information.",
                             {{"df", "show disk usage", run_df}});
          }};
}

} // namespace berth::cli
