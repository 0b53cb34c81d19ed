// Image references: what `run`, `pull`, `tag` take from a user and what
// `load` reads from an archive's annotations and RepoTags.
#include "fuzz_target.hpp"

#include "image/reference.hpp"

BERTH_FUZZ_TARGET(image_reference) {
  const auto text = berth::fuzz::text_of(data, size);
  const auto ref = berth::parse_reference(text);
  if (!ref.ok()) {
    BERTH_FUZZ_CHECK(!ref.error().message.empty());
    return 0;
  }
  // berth stores str() as the tag and `save` writes qualified() into the
  // archive; both must read back as the same image, or a saved image
  // cannot be loaded or a tag cannot be found again.
  for (const auto &printed : {ref->str(), ref->qualified()}) {
    const auto again = berth::parse_reference(printed);
    BERTH_FUZZ_CHECK(again.ok());
    BERTH_FUZZ_CHECK(again->name == ref->name);
    BERTH_FUZZ_CHECK(again->tag == ref->tag);
    BERTH_FUZZ_CHECK(!ref->tag.empty() || again->digest == ref->digest);
  }
  return 0;
}
