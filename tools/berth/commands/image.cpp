#include "cli.hpp"
#include "output.hpp"
#include "progress.hpp"

#include <unistd.h>

#include <iostream>

namespace berth::cli {
namespace {

ImageService &images_of(Engine &engine) {
  return *value_or_fail(engine.images());
}

std::string required(const po::variables_map &vm, const std::string &name, const Context &context,
                     const std::string &what) {
  if (vm.count(name) == 0U) {
    throw UsageError("missing " + what + "; see 'berth " + context.command_path + " --help'");
  }
  return vm[name].as<std::string>();
}

std::vector<std::string> required_list(const po::variables_map &vm, const std::string &name,
                                       const Context &context, const std::string &what) {
  if (vm.count(name) == 0U) {
    throw UsageError("missing " + what + "; see 'berth " + context.command_path + " --help'");
  }
  return vm[name].as<std::vector<std::string>>();
}

std::string short_id(const std::string &id) {
  return id.substr(id.find(':') + 1, 12);
}

// "2026-11-22T10:00:00Z" -> "2026-11-22 10:00:00"
std::string created_cell(const std::string &created) {
  if (created.size() < 19) {
    return created.empty() ? "-" : created;
  }
  return created.substr(0, 10) + " " + created.substr(11, 8);
}

// What a --format template sees for an image row: one per tag, as in the
// table, with the JSON row's fields and docker's `images --format` ones.
std::vector<nlohmann::json> image_template_rows(const nlohmann::json &image) {
  auto tags = image["RepoTags"].get<std::vector<std::string>>();
  if (tags.empty()) {
    tags.emplace_back("<none>:<none>");
  }
  std::vector<nlohmann::json> rows;
  for (const auto &tag : tags) {
    auto row = image;
    const auto colon = tag.rfind(':');
    row["ID"] = short_id(image["Id"]);
    row["Repository"] = tag.substr(0, colon);
    row["Tag"] = tag.substr(colon + 1);
    row["CreatedAt"] = created_cell(image["Created"]);
    row["Size"] = human_bytes(image["Size"].get<std::uint64_t>());
    rows.push_back(std::move(row));
  }
  return rows;
}

int run_ls(Context &context, const std::vector<std::string> &args) {
  po::options_description options("List options");
  options.add_options()("quiet,q", "print image ids only")("all,a",
                                                           "also untagged images (default)");
  add_output_format_option(options);
  auto parsed = parse_command(context, args, "image ls [OPTIONS]",
                              "List images: repository, tag, id, creation time and size.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto engine = context.open_engine();
  auto list = value_or_fail(images_of(*engine).list());
  if (parsed.vm.count("quiet") != 0U) {
    for (const auto &image : list) {
      std::cout << short_id(image.id) << "\n";
    }
    return kExitOk;
  }
  auto out = nlohmann::json::array();
  for (const auto &image : list) {
    out.push_back({{"Id", image.id},
                   {"Digest", image.manifest_digest},
                   {"RepoTags", image.tags},
                   {"Created", image.created},
                   {"Size", image.size}});
  }
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, out);
    return kExitOk;
  }
  std::vector<nlohmann::json> rows;
  for (const auto &image : out) {
    auto tagged = image_template_rows(image);
    rows.insert(rows.end(), tagged.begin(), tagged.end());
  }
  if (!print_templated(format, rows, {{"ID", "IMAGE ID"}})) {
    print_field_table(std::cout, {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"},
                      {"Repository", "Tag", "ID", "CreatedAt", "Size"}, rows);
  }
  return kExitOk;
}

int run_inspect(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Inspect options");
  add_inspect_format_option(options);
  auto parsed = parse_command(context, args, "image inspect [OPTIONS] IMAGE...",
                              "Show images as JSON: id, manifest digest, tags, config, and each "
                              "layer's digest, diff ID and size.",
                              options, {"image..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto refs = required_list(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  std::vector<nlohmann::json> out;
  out.reserve(refs.size());
  for (const auto &ref : refs) {
    out.push_back(value_or_fail(images_of(*engine).inspect(ref)));
  }
  if (!print_templated(format, out)) {
    print_json(std::cout, nlohmann::json(out));
  }
  return kExitOk;
}

// What a --format template sees for a history row: the JSON row with
// docker's `history --format` fields.
nlohmann::json history_template_row(nlohmann::json row) {
  const auto id = row["Id"].get<std::string>();
  row["ID"] = id == "<missing>" ? id : short_id(id);
  row["CreatedAt"] = created_cell(row["Created"]);
  row["Size"] = human_bytes(row["Size"].get<std::uint64_t>());
  return row;
}

int run_history(Context &context, const std::vector<std::string> &args) {
  po::options_description options("History options");
  add_output_format_option(options);
  auto parsed = parse_command(
      context, args, "image history [OPTIONS] IMAGE",
      "Show how an image was built: one row per history step, newest first.", options, {"image"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  const auto ref = required(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  auto rows_json = value_or_fail(images_of(*engine).history(ref));
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, rows_json);
    return kExitOk;
  }
  std::vector<nlohmann::json> rows;
  for (const auto &row : rows_json) {
    rows.push_back(history_template_row(row));
  }
  if (!print_templated(format, rows, {{"ID", "IMAGE"}})) {
    print_field_table(std::cout, {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"},
                      {"ID", "CreatedAt", "CreatedBy", "Size", "Comment"}, rows);
  }
  return kExitOk;
}

int run_import(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Import options");
  options.add_options()("message,m", po::value<std::string>(), "comment for the image's history");
  auto parsed = parse_command(context, args, "image import [OPTIONS] FILE|- [REFERENCE]",
                              "Make a one-layer image from a root filesystem tarball (plain, gzip "
                              "or zstd); '-' reads standard input.",
                              options, {"file", "reference"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  ImportRequest request;
  request.source = required(parsed.vm, "file", context, "FILE");
  if (parsed.vm.count("reference") != 0U) {
    request.reference = parsed.vm["reference"].as<std::string>();
  }
  if (parsed.vm.count("message") != 0U) {
    request.message = parsed.vm["message"].as<std::string>();
  }
  auto engine = context.open_engine();
  ProgressLine progress;
  auto image = value_or_fail(images_of(*engine).import(request, progress.callback()));
  std::cout << image.id << "\n";
  return kExitOk;
}

int run_load(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Load options");
  options.add_options()("input,i", po::value<std::string>(),
                        "the archive: an OCI archive or a docker-archive (docker/podman save); "
                        "standard input when absent")("quiet,q", "print nothing but errors");
  auto parsed = parse_command(context, args, "image load [-i FILE]",
                              "Load images from an OCI archive or a docker-archive, from FILE or "
                              "standard input, and print the references loaded.",
                              options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  std::string file = "-";
  if (parsed.vm.count("input") != 0U) {
    file = parsed.vm["input"].as<std::string>();
  } else if (::isatty(STDIN_FILENO) != 0) {
    throw CommandError("requested load from stdin, but stdin is a terminal; use -i FILE or "
                       "redirect an archive in");
  }
  auto engine = context.open_engine();
  std::vector<std::string> loaded;
  {
    ProgressLine progress;
    loaded = value_or_fail(images_of(*engine).load(file, progress.callback()));
  }
  if (parsed.vm.count("quiet") == 0U) {
    for (const auto &ref : loaded) {
      std::cout << "Loaded image: " << ref << "\n";
    }
  }
  return kExitOk;
}

int run_save(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Save options");
  options.add_options()("output,o", po::value<std::string>(),
                        "the archive to write; standard output when absent")(
      "format", po::value<std::string>()->default_value("oci-archive"),
      "oci-archive or docker-archive: both write the one archive that is both");
  auto parsed = parse_command(context, args, "image save [-o FILE] IMAGE...",
                              "Write images to one archive that is both an OCI layout and a "
                              "docker-archive, as Docker 25+ writes: skopeo, umoci, podman and "
                              "docker load read it.",
                              options, {"image..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto refs = required_list(parsed.vm, "image", context, "IMAGE");
  const auto format = parsed.vm["format"].as<std::string>();
  if (format != "oci-archive" && format != "docker-archive") {
    throw UsageError("--format: '" + format +
                     "' is not a format berth writes (accepted: " + "oci-archive, docker-archive)");
  }
  std::string file = "-";
  if (parsed.vm.count("output") != 0U) {
    file = parsed.vm["output"].as<std::string>();
  } else if (::isatty(STDOUT_FILENO) != 0) {
    throw CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  auto engine = context.open_engine();
  ProgressLine progress;
  ok_or_fail(images_of(*engine).save(refs, file, progress.callback()));
  return kExitOk;
}

int run_tag(Context &context, const std::vector<std::string> &args) {
  auto parsed =
      parse_command(context, args, "image tag SOURCE TARGET", "Give an image another name.",
                    po::options_description("Tag options"), {"source", "target"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto source = required(parsed.vm, "source", context, "SOURCE");
  const auto target = required(parsed.vm, "target", context, "TARGET");
  auto engine = context.open_engine();
  ok_or_fail(images_of(*engine).tag(source, target));
  return kExitOk;
}

void print_removal(const RemoveResult &result, bool total) {
  for (const auto &line : result.lines) {
    std::cout << line << "\n";
  }
  if (total) {
    std::cout << "Total reclaimed space: " << human_bytes(result.reclaimed) << "\n";
  }
}

int run_rm(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Remove options");
  options.add_options()("force,f", "remove every tag of the image, and unmount it if mounted");
  auto parsed = parse_command(context, args, "image rm [OPTIONS] IMAGE...",
                              "Remove images (by tag: untag; by id or last tag: delete) and the "
                              "layers no other image uses.",
                              options, {"image..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto refs = required_list(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  print_removal(value_or_fail(images_of(*engine).remove(refs, parsed.vm.count("force") != 0U)),
                false);
  return kExitOk;
}

int run_prune(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Prune options");
  options.add_options()("all,a", "remove every image not in use, not only untagged ones")(
      "force,f", "do not ask (berth never asks; accepted for Docker's scripts)");
  auto parsed = parse_command(context, args, "image prune [OPTIONS]",
                              "Remove untagged images (with -a: all unused images) and their "
                              "layers.",
                              options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  auto engine = context.open_engine();
  print_removal(value_or_fail(images_of(*engine).prune(parsed.vm.count("all") != 0U)), true);
  return kExitOk;
}

int run_mount(Context &context, const std::vector<std::string> &args) {
  auto parsed = parse_command(context, args, "image mount IMAGE",
                              "Mount an image's root filesystem read-only and print its path.",
                              po::options_description("Mount options"), {"image"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto ref = required(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  std::cout << value_or_fail(images_of(*engine).mount(ref)).string() << "\n";
  return kExitOk;
}

int run_umount(Context &context, const std::vector<std::string> &args) {
  auto parsed = parse_command(context, args, "image umount IMAGE",
                              "Unmount what 'berth image mount' mounted.",
                              po::options_description("Unmount options"), {"image"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto ref = required(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  ok_or_fail(images_of(*engine).unmount(ref));
  return kExitOk;
}

const std::vector<Command> &subcommands() {
  static const std::vector<Command> table = {
      {"ls", "list images", run_ls},
      {"inspect", "show images as JSON", run_inspect},
      {"history", "show an image's history", run_history},
      {"import", "make an image from a root filesystem tarball", run_import},
      {"load", "load images from an OCI or docker archive", run_load},
      {"save", "write images to an OCI + docker archive", run_save},
      {"tag", "give an image another name", run_tag},
      {"rm", "remove images", run_rm},
      {"prune", "remove unused images", run_prune},
      {"mount", "mount an image's root filesystem read-only", run_mount},
      {"umount", "unmount an image", run_umount},
  };
  return table;
}

// A shorthand runs the subcommand under its own name in messages.
Command shorthand(const std::string &name, std::string summary,
                  int (*run)(Context &, const std::vector<std::string> &)) {
  return {name, std::move(summary),
          [name, run](Context &context, const std::vector<std::string> &args) {
            context.command_path = name;
            return run(context, args);
          }};
}

} // namespace

Command image_command() {
  return {"image", "manage images: ls, inspect, import, load, save, tag, rm, mount",
          [](Context &context, const std::vector<std::string> &args) {
            return run_group(context, args, "image", "Manage images.", subcommands());
          }};
}

std::vector<Command> image_shorthands() {
  return {shorthand("images", "list images (image ls)", run_ls),
          shorthand("import", "make an image from a tarball (image import)", run_import),
          shorthand("load", "load images from an archive (image load)", run_load),
          shorthand("save", "write images to an archive (image save)", run_save),
          shorthand("history", "show an image's history (image history)", run_history),
          shorthand("tag", "give an image another name (image tag)", run_tag),
          shorthand("rmi", "remove images (image rm)", run_rm)};
}

} // namespace berth::cli
