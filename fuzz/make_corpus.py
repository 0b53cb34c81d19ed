#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/ from berth's tests.

Text seeds are the literals the unit and integration tests hand the same
parsers (parse_reference("..."), "-p", "8080:80", run("{{...}}"), the stack
fixtures); tar and JSON seeds are built here the way tests/support/
image_builder.cpp builds them, including every hostile layer the storage tests
refuse. Files are named by content, as libFuzzer names what it finds, so a
rerun changes nothing unless the tests did. Run it after adding such tests:

    python3 fuzz/make_corpus.py
"""
import bz2
import gzip
import hashlib
import io
import json
import lzma
import pathlib
import re
import shutil
import subprocess
import tarfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MTIME = 1700000000

# Small seeds fuzz faster: end the tar after its two zero blocks instead of
# padding it to tar's usual 10 KiB record.
tarfile.RECORDSIZE = tarfile.BLOCKSIZE


def write(harness, data):
    if isinstance(data, str):
        data = data.encode()
    directory = CORPUS / harness
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def unescape(literal):
    """A C++ string literal's text; R"(...)" literals come in raw."""
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)),
                  literal)


STRING = r'(?:R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")'


def literals(pattern, files):
    """Each string literal matched by pattern (which holds STRING once)."""
    found = []
    for file in files:
        for match in re.finditer(pattern, file.read_text(), re.S):
            raw, cooked = match.group(1), match.group(2)
            found.append(raw if raw is not None else unescape(cooked))
    return found


def test_files(*globs):
    return [f for g in globs for f in sorted(ROOT.glob(g))]


def text_seeds():
    tests = test_files("tests/unit/**/*.cpp", "tests/integration/**/*.cpp")
    for ref in literals(r'parse_reference\(' + STRING + r'\)', tests):
        write("image_reference", ref)
    for name in ["busybox@sha256:" + "a" * 64, "registry:5000/team/app:1.2@sha256:" + "b" * 64,
                 "docker.io/busybox", "index.docker.io/library/alpine:3"]:
        write("image_reference", name)

    flags = r'"(?:-p|--publish|-v|--volume|--ulimit|--tmpfs|--memory|--memory-swap|--shm-size|' \
            r'--cpus|--restart|--add-host|--label|--cap-add|--cap-drop|--name)",\s*' + STRING
    calls = r'parse_(?:publish|volume|ulimit|tmpfs|cpus|restart|add_host)\(' + STRING + r'\)'
    for value in literals(flags, tests) + literals(calls, tests):
        write("run_flags", value)

    templates = r'(?:\brun|GoTemplate::parse|OutputFormat::parse)\(' + STRING
    formats = r'"(?:--format|-f)",\s*' + STRING
    for text in literals(templates, tests) + literals(formats, tests):
        write("go_template", text)

    for stack in test_files("tests/fixtures/stacks/**/*.yaml", "examples/stacks/*.yaml"):
        write("stack_yaml", stack.read_bytes())


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (path, kind, content, mode, extra) as image_builder's TarEntry."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for path, kind, content, mode, extra in entries:
            info = tarfile.TarInfo(path)
            info.mtime, info.mode = MTIME, mode
            info.uid = extra.get("uid", 0)
            info.pax_headers = {"SCHILY.xattr." + k: v for k, v in extra.get("xattrs", {}).items()}
            data = None
            if kind == "file":
                data = content.encode()
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, content
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, content
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif kind == "chardev":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = extra["dev"]
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def file(path, content, mode=0o644, **extra):
    return (path, "file", content, mode, extra)


def directory(path, mode=0o755):
    return (path, "dir", "", mode, {})


def symlink(path, target):
    return (path, "symlink", target, 0o777, {})


def hardlink(path, target):
    return (path, "hardlink", target, 0o644, {})


RICH_ROOT = [
    directory("etc"), file("etc/hostname", "box\n"),
    file("etc/shadow", "root:*:1::::::\n", 0o640, uid=42),
    directory("usr"), directory("usr/bin"),
    file("usr/bin/tool", "#!/bin/sh\necho tool\n", 0o4755, xattrs={"user.berth": "kept"}),
    symlink("usr/bin/alias", "tool"), hardlink("usr/bin/twin", "usr/bin/tool"),
    ("run/pipe", "fifo", "", 0o600, {}),
]

# What tests/integration/storage/images_test.cpp feeds berth, good and hostile.
LAYERS = {
    "rich": RICH_ROOT,
    "whiteouts": [file("a/.wh.gone", ""), directory("d"), file("d/.wh..wh..opq", ""),
                  file("d/new", "2"), file(".wh.etc", "")],
    "dotdot": [file("../escape", "x")],
    "absolute": [file("/etc/escape", "x")],
    "symlink": [symlink("evil", "/tmp"), file("evil/escape", "x")],
    "hardlink": [hardlink("link", "../../etc/passwd")],
    "hardlink-missing": [hardlink("link", "etc/passwd")],
    "relinked": [file("x", "1"), symlink("x", "/"), hardlink("y", "x"), file("y/escape", "x")],
    "devices": [("dev/null", "chardev", "", 0o666, {"dev": (1, 3)}),
                ("gone", "chardev", "", 0o644, {"dev": (0, 0)})],
}


def compressed(data):
    yield gzip.compress(data, mtime=0)
    yield bz2.compress(data)
    yield lzma.compress(data)
    if shutil.which("zstd"):
        yield subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                             check=True).stdout


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image(layer_tars, config_extra):
    """An image's blobs: {digest: bytes}, with its config and manifest digests."""
    blobs = {sha256(t): t for t in layer_tars}
    config = {"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
              "config": {"Cmd": ["/bin/sh"], **config_extra},
              "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t in layer_tars]},
              "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "ADD rootfs"}]}
    config_text = json.dumps(config).encode()
    blobs[sha256(config_text)] = config_text
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": sha256(config_text), "size": len(config_text)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": sha256(t), "size": len(t)} for t in layer_tars]}
    manifest_text = json.dumps(manifest).encode()
    blobs[sha256(manifest_text)] = manifest_text
    return blobs, sha256(config_text), sha256(manifest_text)


def archive(files, links=()):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.mtime, info.size = MTIME, len(data)
            tar.addfile(info, io.BytesIO(data))
        for path, target in links:
            info = tarfile.TarInfo(path)
            info.mtime, info.type, info.linkname = MTIME, tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def image_seeds():
    for name, entries in LAYERS.items():
        data = tar_bytes(entries)
        write("layer_tar", data)
        if name == "rich":
            for packed in compressed(data):
                write("layer_tar", packed)
            write("layer_tar", gzip.compress(data, mtime=0)[: len(data) // 4])  # truncated
            write("layer_tar", tar_bytes([file("d/" + "long" * 40, "gnu")], tarfile.GNU_FORMAT))

    layer = tar_bytes([file("a", "a")])
    blobs, config, manifest = image([layer], {"Env": ["PATH=/bin"], "ExposedPorts": {"80/tcp": {}},
                                              "Volumes": {"/data": {}}, "User": "65534",
                                              "Labels": {"team": "core"}, "StopSignal": "SIGINT",
                                              "Healthcheck": {"Test": ["CMD", "true"]}})
    for digest, data in blobs.items():
        if digest != sha256(layer):
            write("image_json", data)
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest,
         "size": len(blobs[manifest]), "platform": {"os": "linux", "architecture": "amd64"},
         "annotations": {"org.opencontainers.image.ref.name": "app:1",
                         "io.containerd.image.name": "docker.io/library/app:1"}}]}
    write("image_json", json.dumps(index))
    write("image_json", json.dumps({"schemaVersion": 2, "manifests": [
        dict(index["manifests"][0],
             mediaType="application/vnd.docker.distribution.manifest.list.v2+json")]}))
    docker = [{"Config": "blobs/sha256/" + config[7:], "RepoTags": ["app:1"],
               "Layers": ["blobs/sha256/" + sha256(layer)[7:]]}]
    write("image_json", json.dumps(docker))
    write("image_json", json.dumps([dict(docker[0], RepoTags=None)]))
    write("image_json", json.dumps({"config": {"Env": None, "Cmd": None, "Labels": None},
                                    "rootfs": {"diff_ids": []}}))

    def blob_files(blobs):
        return [("blobs/sha256/" + d[7:], data) for d, data in blobs.items()]

    layout = b'{"imageLayoutVersion":"1.0.0"}'
    write("image_archive", archive([("oci-layout", layout),
                                    ("index.json", json.dumps(index).encode())]
                                   + blob_files(blobs)))
    write("image_archive", archive([("manifest.json", json.dumps(docker).encode()),
                                    ("repositories", b'{"app":{"1":"x"}}')] + blob_files(blobs),
                                   links=[("layer/layer.tar", "../blobs/sha256/" +
                                           sha256(layer)[7:])]))


if __name__ == "__main__":
    text_seeds()
    image_seeds()
    for harness in sorted(CORPUS.iterdir()):
        print(f"{harness.name}: {len(list(harness.iterdir()))} seeds")
