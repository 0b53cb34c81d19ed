#include "bench/storage_suite.hpp"

#include "bench/bench_support.hpp"
#include "image/content_store.hpp"
#include "layer/layer_writer.hpp"
#include "plugin/host_services.hpp"

#include <berth/sdk/mount.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <random>
#include <set>

namespace berth::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char *kHostSubject = "host filesystem";
constexpr const char *kLargeFile = "bench/large.bin";
constexpr std::size_t kSmallFileSize = 4096;
constexpr std::size_t kChunk = 1 << 20;

const std::vector<Workload> &storage_workloads() {
  static const std::vector<Workload> workloads = {
      {"apply_layers", "import the image (store, digest and apply its layers)", "ms",
       Better::lower},
      {"prepare_first", "prepare + mount a root filesystem, first container", "ms", Better::lower},
      {"prepare_next", "prepare + mount a root filesystem, next container", "ms", Better::lower},
      {"copy_up", "first write to a large lower-layer file (copy-up)", "ms", Better::lower},
      {"metadata", "create and delete the small files", "ms", Better::lower},
      {"seq_write", "sequential write in the root filesystem", "MiB/s", Better::higher},
      {"seq_read", "sequential read in the root filesystem (cold cache)", "MiB/s", Better::higher},
      {"commit", "diff a container's changes into a layer tar (commit)", "ms", Better::lower},
      {"remove", "remove a container's root filesystem", "ms", Better::lower},
      {"disk_usage", "disk used by the containers of one image", "MiB", Better::lower},
  };
  return workloads;
}

// Where a round failed: the workload and why.
struct Failure {
  std::string workload;
  std::string message;
};

// One driver instance over a root of its own, with berth's image store on it.
struct Store {
  fs::path root;
  std::unique_ptr<ImageService> images;
};

std::optional<Failure> failure(const std::string &workload, const sdk::Error &error) {
  return Failure{workload, error.describe()};
}

sdk::Result<Store> open_store(const SuiteRun &run, const BenchSubject &subject,
                              const fs::path &root) {
  try {
    fs::create_directories(root);
    auto host = std::make_shared<CoreHostServices>(subject.plugin, root);
    auto driver = run.registry.create<sdk::StorageDriver>(subject.plugin, subject.options, host);
    if (!driver.ok()) {
      return std::move(driver).error();
    }
    return Store{root,
                 std::make_unique<ImageService>(root, std::move(driver).value(), subject.plugin)};
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), root.string());
  }
}

// The image to use: the archive of --image, or one generated here.
struct ImageSource {
  fs::path file;
  bool archive = false;   // an OCI archive to load, else a rootfs tar to import
  std::string large_file; // relative path of the largest file, "" if none
};

sdk::Result<void> write_file(const fs::path &file, std::size_t size, std::mt19937 &random) {
  std::string data(std::min(size, kChunk), '\0');
  std::ofstream out(file, std::ios::binary);
  for (std::size_t written = 0; out && written < size; written += data.size()) {
    for (auto &c : data) {
      c = static_cast<char>(random());
    }
    out.write(data.data(), static_cast<std::streamsize>(std::min(data.size(), size - written)));
  }
  out.close();
  if (!out) {
    return sdk::make_error(sdk::Errc::io, "cannot write the image's file (disk full?)",
                           file.string());
  }
  return {};
}

// busybox (when installed) for a realistic base, the small files and one
// large file, as one rootfs tar.
sdk::Result<ImageSource> generate_image(const SuiteRun &run) {
  const auto tree = run.scratch / "image-tree";
  std::mt19937 random(42);
  fs::create_directories(tree / "bin");
  if (fs::exists("/bin/busybox")) {
    fs::copy_file("/bin/busybox", tree / "bin" / "busybox");
  }
  for (int i = 0; i < run.request.files; ++i) {
    const auto dir = tree / "bench" / "files" / ("dir-" + std::to_string(i % 32));
    fs::create_directories(dir);
    if (auto written = write_file(dir / ("file-" + std::to_string(i)), kSmallFileSize, random);
        !written.ok()) {
      return std::move(written).error();
    }
  }
  if (auto written = write_file(tree / kLargeFile, run.request.size_mib << 20U, random);
      !written.ok()) {
    return std::move(written).error();
  }
  ContentStore content(run.scratch / "image-content");
  auto writer = TarLayerWriter::open(content);
  if (!writer.ok()) {
    return std::move(writer).error();
  }
  if (auto added = (*writer)->add_tree(tree, sdk::WhiteoutFormat::remove); !added.ok()) {
    return std::move(added).error();
  }
  auto digest = (*writer)->finish();
  if (!digest.ok()) {
    return std::move(digest).error();
  }
  remove_tree(tree);
  return ImageSource{content.path_of(*digest), false, kLargeFile};
}

sdk::Result<std::string> load_image(ImageService &images, const ImageSource &source) {
  if (!source.archive) {
    auto imported = images.import({source.file, "bench:image", "berth bench"}, {});
    if (!imported.ok()) {
      return std::move(imported).error();
    }
    return imported->id;
  }
  auto loaded = images.load(source.file, {});
  if (!loaded.ok()) {
    return std::move(loaded).error();
  }
  if (loaded->empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument, "the archive holds no image",
                           source.file.string());
  }
  return loaded->front();
}

// The largest regular file under dir, relative to it: what copy-up copies.
std::string largest_file(const fs::path &dir) {
  std::string best;
  std::uintmax_t best_size = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec) && it->file_size(ec) > best_size) {
      best_size = it->file_size(ec);
      best = fs::relative(it->path(), dir, ec).string();
    }
  }
  return best;
}

// Bytes allocated under dir, each inode once.
std::uint64_t allocated_bytes(const fs::path &dir) {
  std::set<std::pair<dev_t, ino_t>> seen;
  std::uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && seen.insert({st.st_dev, st.st_ino}).second) {
      bytes += static_cast<std::uint64_t>(st.st_blocks) * 512U;
    }
  }
  return bytes;
}

// A container's root filesystem, prepared and mounted.
sdk::Result<fs::path> prepare_mounted(Store &store, const std::string &image,
                                      const std::string &key) {
  auto rootfs = store.images->prepare_container(
      image, key, [](const std::string &) { return sdk::Result<void>{}; });
  if (!rootfs.ok()) {
    return std::move(rootfs).error();
  }
  const auto target = store.root / ("mnt-" + key);
  fs::create_directories(target);
  if (auto mounted = sdk::mount_all(rootfs->mounts, target); !mounted.ok()) {
    return std::move(mounted).error();
  }
  return target;
}

sdk::Result<double> first_write(const fs::path &file) {
  const auto start = Clock::now();
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return sdk::errno_error("open for writing", file.string());
  }
  const bool written = ::pwrite(fd, "x", 1, 0) == 1;
  ::close(fd);
  if (!written) {
    return sdk::errno_error("write", file.string());
  }
  return ms_since(start);
}

sdk::Result<double> create_and_delete(const fs::path &dir, int files) {
  const std::string data(kSmallFileSize, 'm');
  const auto start = Clock::now();
  fs::create_directories(dir);
  for (int i = 0; i < files; ++i) {
    const auto file = dir / ("f" + std::to_string(i));
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      auto error = sdk::errno_error("create", file.string());
      if (fd >= 0) {
        ::close(fd);
      }
      return error;
    }
    ::close(fd);
  }
  for (int i = 0; i < files; ++i) {
    ::unlink((dir / ("f" + std::to_string(i))).c_str());
  }
  return ms_since(start);
}

struct Throughput {
  double write_mib_s = 0;
  double read_mib_s = 0;
};

sdk::Result<void> write_sequentially(int fd, std::uint64_t bytes, const fs::path &file) {
  std::string chunk(kChunk, '\0');
  std::mt19937 random(7);
  for (auto &c : chunk) {
    c = static_cast<char>(random());
  }
  for (std::uint64_t done = 0; done < bytes; done += chunk.size()) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
      return sdk::errno_error("write", file.string());
    }
  }
  if (::fdatasync(fd) != 0) {
    return sdk::errno_error("fdatasync", file.string());
  }
  return {};
}

// Writes bytes to file and reads them back once the page cache has dropped
// them, so the read comes from the disk through the driver's path.
sdk::Result<Throughput> sequential_io(const fs::path &file, std::uint64_t bytes) {
  Throughput result;
  sdk::UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.valid()) {
    return sdk::errno_error("create", file.string());
  }
  auto start = Clock::now();
  if (auto written = write_sequentially(out.get(), bytes, file); !written.ok()) {
    return std::move(written).error();
  }
  result.write_mib_s = mib_per_s(bytes, start);
  ::posix_fadvise(out.get(), 0, 0, POSIX_FADV_DONTNEED);
  out.reset();
  sdk::UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  std::string chunk(kChunk, '\0');
  std::uint64_t read = 0;
  start = Clock::now();
  for (ssize_t got = 0; in.valid() && (got = ::read(in.get(), chunk.data(), chunk.size())) > 0;) {
    read += static_cast<std::uint64_t>(got);
  }
  result.read_mib_s = mib_per_s(read, start);
  ::unlink(file.c_str());
  if (read != bytes) {
    return sdk::make_error(sdk::Errc::io,
                           "read back " + std::to_string(read) + " of " + std::to_string(bytes) +
                               " bytes",
                           file.string());
  }
  return result;
}

// The workloads that use a mounted container: copy-up, metadata, I/O, commit.
std::optional<Failure> work_in_container(SuiteRun &run, Store &store, const std::string &name,
                                         const std::string &key, const fs::path &rootfs,
                                         const ImageSource &source) {
  if (source.large_file.empty()) {
    measurement_of(run.report, "copy_up", name).unsupported =
        "the image has no regular file to copy up";
  } else if (auto copied = first_write(rootfs / source.large_file); copied.ok()) {
    add_sample(run.report, "copy_up", name, *copied);
  } else {
    return failure("copy_up", copied.error());
  }
  auto metadata = create_and_delete(rootfs / "bench-metadata", run.request.files);
  if (!metadata.ok()) {
    return failure("metadata", metadata.error());
  }
  add_sample(run.report, "metadata", name, *metadata);
  auto io = sequential_io(rootfs / "bench-sequential.bin", run.request.size_mib << 20U);
  if (!io.ok()) {
    return failure("seq_write", io.error());
  }
  add_sample(run.report, "seq_write", name, io->write_mib_s);
  add_sample(run.report, "seq_read", name, io->read_mib_s);
  // What is committed: the copied-up file, changed, and the empty directory.
  const auto start = Clock::now();
  auto diffed = store.images->diff_container(key);
  if (!diffed.ok()) {
    return failure("commit", diffed.error());
  }
  add_sample(run.report, "commit", name, ms_since(start));
  return std::nullopt;
}

// One round on a fresh root: apply, two containers, the work, removal.
std::optional<Failure> storage_round(SuiteRun &run, const BenchSubject &subject,
                                     ImageSource &source, const fs::path &root) {
  auto store = open_store(run, subject, root);
  if (!store.ok()) {
    return failure("", store.error());
  }
  auto start = Clock::now();
  auto image = load_image(*store->images, source);
  if (!image.ok()) {
    return failure("apply_layers", image.error());
  }
  add_sample(run.report, "apply_layers", subject.name, ms_since(start));
  start = Clock::now();
  auto first = prepare_mounted(*store, *image, "bench-a");
  if (!first.ok()) {
    return failure("prepare_first", first.error());
  }
  add_sample(run.report, "prepare_first", subject.name, ms_since(start));
  start = Clock::now();
  auto next = prepare_mounted(*store, *image, "bench-b");
  if (!next.ok()) {
    return failure("prepare_next", next.error());
  }
  add_sample(run.report, "prepare_next", subject.name, ms_since(start));
  if (source.archive && source.large_file.empty()) {
    source.large_file = largest_file(*first);
  }
  if (auto failed = work_in_container(run, *store, subject.name, "bench-a", *first, source)) {
    return failed;
  }
  (void)sdk::unmount(*first);
  (void)sdk::unmount(*next);
  start = Clock::now();
  if (auto removed = store->images->remove_container("bench-a"); !removed.ok()) {
    return failure("remove", removed.error());
  }
  add_sample(run.report, "remove", subject.name, ms_since(start));
  (void)store->images->remove_container("bench-b");
  return std::nullopt;
}

// What N containers of one image take on disk beyond the image itself.
std::optional<Failure> disk_usage(SuiteRun &run, const BenchSubject &subject,
                                  const ImageSource &source, const fs::path &root) {
  auto store = open_store(run, subject, root);
  if (!store.ok()) {
    return failure("disk_usage", store.error());
  }
  auto image = load_image(*store->images, source);
  if (!image.ok()) {
    return failure("disk_usage", image.error());
  }
  // The driver's own directory: the database's journal grows too, and is
  // not what the driver costs.
  const auto state = fs::is_directory(root / "plugins" / subject.plugin)
                         ? root / "plugins" / subject.plugin
                         : root;
  const auto before = allocated_bytes(state);
  for (int i = 0; i < run.request.containers; ++i) {
    auto made =
        store->images->prepare_container(*image, "bench-du-" + std::to_string(i),
                                         [](const std::string &) { return sdk::Result<void>{}; });
    if (!made.ok()) {
      return failure("disk_usage", made.error());
    }
  }
  const auto after = allocated_bytes(state);
  add_sample(run.report, "disk_usage", subject.name,
             static_cast<double>(after > before ? after - before : 0) / (1024.0 * 1024.0));
  return std::nullopt;
}

// A filesystem error thrown under a round is that round's failure, not
// the end of the whole run.
template <class Round> std::optional<Failure> guarded(const Round &round) {
  try {
    return round();
  } catch (const std::exception &e) {
    return Failure{"", e.what()};
  }
}

// A failed workload fails its cell and its subject; a failure outside any
// workload (the driver would not start) only the subject.
void record(Report &report, const std::string &subject, const Failure &failed) {
  if (!failed.workload.empty()) {
    fail(report, failed.workload, subject, failed.message);
  }
  fail_subject(report, subject,
               (failed.workload.empty() ? "" : failed.workload + ": ") + failed.message);
}

void measure_driver(SuiteRun &run, const BenchSubject &subject, ImageSource &source,
                    std::uint64_t &step, std::uint64_t total) {
  const auto dir = run.scratch / ("storage-" + subject.key);
  for (int round = 0; round < run.request.repeat && !interrupted(); ++round) {
    report_progress(run.progress, subject.name + ": round " + std::to_string(round + 1), ++step,
                    total);
    const auto root = dir / ("round-" + std::to_string(round));
    auto failed = guarded([&] { return storage_round(run, subject, source, root); });
    remove_tree(root);
    if (failed) {
      record(run.report, subject.name, *failed);
      remove_tree(dir);
      return;
    }
  }
  if (!interrupted()) {
    report_progress(run.progress, subject.name + ": disk usage", ++step, total);
    if (auto failed =
            guarded([&] { return disk_usage(run, subject, source, dir / "disk-usage"); })) {
      record(run.report, subject.name, *failed);
    }
  }
  remove_tree(dir);
}

void measure_host(SuiteRun &run) {
  Subject host;
  host.name = kHostSubject;
  host.options = {{"path", run.request.scratch_parent.string()}};
  run.report.subjects.push_back(host);
  for (int round = 0; round < run.request.repeat && !interrupted(); ++round) {
    auto io = sequential_io(run.scratch / "host-sequential.bin", run.request.size_mib << 20U);
    if (!io.ok()) {
      fail(run.report, "seq_write", kHostSubject, io.error().describe());
      fail_subject(run.report, kHostSubject, io.error().describe());
      return;
    }
    add_sample(run.report, "seq_write", kHostSubject, io->write_mib_s);
    add_sample(run.report, "seq_read", kHostSubject, io->read_mib_s);
  }
}

} // namespace

void run_storage_suite(SuiteRun &run, const std::vector<BenchSubject> &subjects) {
  run.report.workloads = storage_workloads();
  ImageSource source{run.image_archive, true, ""};
  if (run.image_archive.empty()) {
    report_progress(run.progress, "generating the image", 0, 0);
    auto generated = [&]() -> sdk::Result<ImageSource> {
      try {
        return generate_image(run);
      } catch (const std::exception &e) {
        return sdk::make_error(sdk::Errc::io, e.what(), "the generated image");
      }
    }();
    if (!generated.ok()) {
      for (const auto &subject : subjects) {
        fail_subject(run.report, subject.name, "the image: " + generated.error().describe());
      }
      return;
    }
    source = *generated;
  }
  const auto total = static_cast<std::uint64_t>(subjects.size()) *
                     static_cast<std::uint64_t>(run.request.repeat + 1);
  std::uint64_t step = 0;
  for (const auto &subject : subjects) {
    if (!interrupted()) {
      measure_driver(run, subject, source, step, total);
    }
  }
  if (!interrupted()) {
    measure_host(run);
  }
}

} // namespace berth::bench
