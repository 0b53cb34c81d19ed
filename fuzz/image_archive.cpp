// Image archives as `berth load` reads them (an OCI layout or `docker save`
// tar, maybe compressed): the index files kept in memory, every other file
// stored as a blob in a content store.
#include "fuzz_target.hpp"

#include "image/archive_io.hpp"
#include "util/fd.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;

// One store for the whole run, emptied after each input and removed when the
// process exits normally (as libFuzzer and the replay do at the end of a
// run; a crash leaves it for the input to be replayed). tmpfs when there is
// one: the store fsyncs every blob.
class ScratchStore {
public:
  ScratchStore() {
    const auto base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "berth-fuzz-store-XXXXXX").string();
    BERTH_FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
  }
  ~ScratchStore() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  ScratchStore(const ScratchStore &) = delete;
  ScratchStore &operator=(const ScratchStore &) = delete;
  ScratchStore(ScratchStore &&) = delete;
  ScratchStore &operator=(ScratchStore &&) = delete;

  [[nodiscard]] const fs::path &root() const { return root_; }

private:
  fs::path root_;
};

const fs::path &store_root() {
  static const ScratchStore store;
  return store.root();
}

} // namespace

BERTH_FUZZ_TARGET(image_archive) {
  const berth::UniqueFd memory(::memfd_create("archive", MFD_CLOEXEC));
  BERTH_FUZZ_CHECK(memory.valid());
  BERTH_FUZZ_CHECK(::write(memory.get(), data, size) == static_cast<ssize_t>(size));
  BERTH_FUZZ_CHECK(::lseek(memory.get(), 0, SEEK_SET) == 0);
  const berth::ContentStore content(store_root());
  const auto contents = berth::read_image_archive(memory.get(), "fuzzed archive", content, {});
  if (!berth::fuzz::refused(contents)) {
    for (const auto &[path, text] : contents->index_files) {
      BERTH_FUZZ_CHECK(path == "index.json" || path == "oci-layout" || path == "manifest.json" ||
                       path == "repositories");
    }
    for (const auto &[path, digest] : contents->blobs) {
      BERTH_FUZZ_CHECK(content.contains(digest));
    }
  }
  std::error_code ignored;
  fs::remove_all(store_root() / "blobs", ignored);
  return 0;
}
