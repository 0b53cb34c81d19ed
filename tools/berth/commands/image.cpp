#include "cli.hpp"
#include "output.hpp"
#include "progress.hpp"

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

int run_ls(Context &context, const std::vector<std::string> &args) {
  po::options_description options("List options");
  options.add_options()("quiet,q", "print image ids only")("all,a",
                                                           "also untagged images (default)");
  add_format_option(options);
  auto parsed = parse_command(context, args, "image ls [OPTIONS]",
                              "List images: repository, tag, id, creation time and size.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = format_option(parsed.vm);
  auto engine = context.open_engine();
  auto list = value_or_fail(images_of(*engine).list());
  if (parsed.vm.count("quiet") != 0U) {
    for (const auto &image : list) {
      std::cout << short_id(image.id) << "\n";
    }
    return kExitOk;
  }
  if (format == Format::json) {
    auto out = nlohmann::json::array();
    for (const auto &image : list) {
      out.push_back({{"Id", image.id},
                     {"Digest", image.manifest_digest},
                     {"RepoTags", image.tags},
                     {"Created", image.created},
                     {"Size", image.size}});
    }
    print_json(std::cout, out);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto &image : list) {
    auto tags = image.tags.empty() ? std::vector<std::string>{"<none>:<none>"} : image.tags;
    for (const auto &tag : tags) {
      const auto colon = tag.rfind(':');
      rows.push_back({tag.substr(0, colon), tag.substr(colon + 1), short_id(image.id),
                      created_cell(image.created), human_bytes(image.size)});
    }
  }
  print_table(std::cout, {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}, rows);
  return kExitOk;
}

int run_inspect(Context &context, const std::vector<std::string> &args) {
  auto parsed = parse_command(context, args, "image inspect IMAGE...",
                              "Show images as JSON: id, manifest digest, tags, config, and each "
                              "layer's digest, diff ID and size.",
                              po::options_description("Inspect options"), {"image..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  auto refs = required_list(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  auto out = nlohmann::json::array();
  for (const auto &ref : refs) {
    out.push_back(value_or_fail(images_of(*engine).inspect(ref)));
  }
  print_json(std::cout, out);
  return kExitOk;
}

int run_history(Context &context, const std::vector<std::string> &args) {
  po::options_description options("History options");
  add_format_option(options);
  auto parsed = parse_command(
      context, args, "image history [OPTIONS] IMAGE",
      "Show how an image was built: one row per history step, newest first.", options, {"image"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = format_option(parsed.vm);
  const auto ref = required(parsed.vm, "image", context, "IMAGE");
  auto engine = context.open_engine();
  auto rows_json = value_or_fail(images_of(*engine).history(ref));
  if (format == Format::json) {
    print_json(std::cout, rows_json);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto &row : rows_json) {
    const auto id = row["Id"].get<std::string>();
    rows.push_back({id == "<missing>" ? id : short_id(id), created_cell(row["Created"]),
                    row["CreatedBy"], human_bytes(row["Size"].get<std::uint64_t>()),
                    row["Comment"]});
  }
  print_table(std::cout, {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}, rows);
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
                        "the archive: an OCI archive or a docker-archive (docker/podman save)")(
      "quiet,q", "print nothing but errors");
  auto parsed = parse_command(context, args, "image load -i FILE",
                              "Load images from an OCI archive or a docker-archive and print the "
                              "references loaded.",
                              options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto file = required(parsed.vm, "input", context, "-i FILE");
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
  options.add_options()("output,o", po::value<std::string>(), "the archive to write")(
      "format", po::value<std::string>()->default_value("oci-archive"),
      "archive format: oci-archive");
  auto parsed = parse_command(context, args, "image save -o FILE IMAGE...",
                              "Write images to an OCI archive that skopeo, umoci and podman load "
                              "read.",
                              options, {"image..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto file = required(parsed.vm, "output", context, "-o FILE");
  const auto refs = required_list(parsed.vm, "image", context, "IMAGE");
  if (parsed.vm["format"].as<std::string>() != "oci-archive") {
    throw UsageError("--format: only 'oci-archive' can be written; see 'berth " +
                     context.command_path + " --help'");
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
      {"save", "write images to an OCI archive", run_save},
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
          shorthand("save", "write images to an OCI archive (image save)", run_save),
          shorthand("history", "show an image's history (image history)", run_history),
          shorthand("tag", "give an image another name (image tag)", run_tag),
          shorthand("rmi", "remove images (image rm)", run_rm)};
}

} // namespace berth::cli
