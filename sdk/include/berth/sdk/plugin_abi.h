/*
 * berth plugin ABI: the one C struct every plugin hands to the core.
 *
 * This header is plain C on purpose. The core reads the descriptor before any
 * C++ type crosses the library boundary, so its layout must not depend on the
 * compiler, the C++ standard library or Boost: any tool, in any language, can
 * read a plugin's name, kind and ABI version. The objects behind create() are
 * C++ (the sdk's v1 interfaces), so a plugin itself is written in C++. Everything the core checks
 * in the handshake (size, ABI version, toolchain tag, kind, name, option schema) lives here; the
 * C++ interfaces live in the other sdk headers.
 *
 * Layout rules (see docs/plugins.md):
 *  - The first three fields never move: struct_size, abi_major, abi_minor.
 *  - Minor versions only append fields; struct_size tells the core which
 *    fields a plugin knows about.
 *  - A major version bump may change anything after the first three fields.
 */
#ifndef BERTH_SDK_PLUGIN_ABI_H
#define BERTH_SDK_PLUGIN_ABI_H

// NOLINTBEGIN(modernize-*, readability-identifier-naming): this header is C.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_ABI_MAJOR 1
#define BERTH_ABI_MINOR 1

/* The exported entry point. A plugin exports this symbol and no other. */
#define BERTH_PLUGIN_ENTRY_SYMBOL "berth_plugin"

typedef enum berth_plugin_kind {
  BERTH_KIND_STORAGE = 1,
  BERTH_KIND_NETWORK = 2,
  BERTH_KIND_RUNTIME = 3,
  BERTH_KIND_SCHEDULER = 4
} berth_plugin_kind;

typedef enum berth_option_type {
  BERTH_OPTION_STRING = 1, /* any scalar text */
  BERTH_OPTION_BOOL = 2,   /* true / false */
  BERTH_OPTION_INT = 3,    /* signed 64-bit integer */
  BERTH_OPTION_FLOAT = 4,  /* double */
  BERTH_OPTION_LIST = 5,   /* sequence of strings */
  BERTH_OPTION_MAP = 6     /* mapping of string to string */
} berth_option_type;

/*
 * One key of a plugin's options. The core steps through the array by the
 * descriptor's option_spec_size, so later versions may append fields here.
 */
typedef struct berth_option_spec {
  const char *name;         /* key in the stack file, [a-z0-9_-]+ */
  uint32_t type;            /* berth_option_type */
  const char *default_json; /* default as JSON text; NULL means required */
  const char *choices;      /* for strings: "a|b|c", or NULL for any value */
  const char *doc;          /* one line, shown in `berth plugins inspect` */
} berth_option_spec;

/* Return codes of create and probe. */
#define BERTH_OK 0
#define BERTH_ERROR 1
#define BERTH_SKIP 2 /* cannot run on this host; the reason says why */

/*
 * create: build one instance.
 *   host          berth::sdk::v1::HostServices* (valid while the instance lives)
 *   options_json  the validated options, defaults filled in, as a JSON object
 *   out_instance  on success, a pointer to the kind's v1 interface
 *                 (berth::sdk::v1::StorageDriver*, NetworkDriver*, ...)
 *   message       on failure, a NUL-terminated reason (truncated to capacity)
 */
typedef int (*berth_create_fn)(void *host, const char *options_json, void **out_instance,
                               char *message, size_t message_capacity);
typedef void (*berth_destroy_fn)(void *instance);
/* probe: may this plugin run on this host? NULL means always. */
typedef int (*berth_probe_fn)(char *reason, size_t reason_capacity);

typedef struct berth_plugin_descriptor {
  uint32_t struct_size;  /* sizeof(berth_plugin_descriptor) as the plugin saw it */
  uint16_t abi_major;    /* BERTH_ABI_MAJOR */
  uint16_t abi_minor;    /* BERTH_ABI_MINOR */
  const char *toolchain; /* BERTH_TOOLCHAIN_TAG: must equal the core's */
  uint32_t kind;         /* berth_plugin_kind */
  const char *name;      /* unique across all loaded plugins, [a-z0-9_-]+ */
  const char *version;   /* the plugin's own version, free text */
  const char *description;
  const berth_option_spec *options;
  uint32_t option_count;
  uint32_t option_spec_size; /* sizeof(berth_option_spec) as the plugin saw it */
  berth_create_fn create;
  berth_destroy_fn destroy;
  berth_probe_fn probe; /* may be NULL */
} berth_plugin_descriptor;

typedef const berth_plugin_descriptor *(*berth_plugin_entry_fn)(void);

/*
 * The size of the descriptor each minor version defines. A plugin built
 * against 1.0 keeps loading into a 1.x core: the core reads a later field
 * only when struct_size covers it.
 */
#define BERTH_DESCRIPTOR_SIZE_1_0                                                                  \
  (offsetof(berth_plugin_descriptor, probe) + sizeof(berth_probe_fn))
#define BERTH_OPTION_SPEC_SIZE_1_0 (offsetof(berth_option_spec, doc) + sizeof(const char *))

#ifdef __cplusplus
}
#endif
// NOLINTEND(modernize-*, readability-identifier-naming)

#endif /* BERTH_SDK_PLUGIN_ABI_H */
