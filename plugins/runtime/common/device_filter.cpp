#include "common/device_filter.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <berth/sdk/unique_fd.hpp>

namespace berth::runtime {
namespace {

// Registers the program keeps the request in (r1 holds the context first).
constexpr std::uint8_t kCtx = 1;
constexpr std::uint8_t kScratch = 1;
constexpr std::uint8_t kType = 2;
constexpr std::uint8_t kAccess = 3;
constexpr std::uint8_t kMajor = 4;
constexpr std::uint8_t kMinor = 5;

bpf_insn instruction(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t offset,
                     std::int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = offset;
  insn.imm = imm;
  return insn;
}

bpf_insn load_word(std::uint8_t dst, std::int16_t offset) {
  return instruction(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, offset, 0);
}

bpf_insn alu32(std::uint8_t operation, std::uint8_t dst, std::int32_t imm) {
  return instruction(BPF_ALU | operation | BPF_K, dst, 0, 0, imm);
}

bpf_insn move32(std::uint8_t dst, std::uint8_t src) {
  return instruction(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}

// The offset is patched once the rule's block is complete.
bpf_insn jump_to_next(std::uint8_t operation, std::uint8_t dst, std::int32_t imm) {
  return instruction(BPF_JMP | operation | BPF_K, dst, 0, 0, imm);
}

std::int32_t access_bits(const std::string &access) {
  std::int32_t bits = 0;
  for (const char letter : access) {
    bits |= letter == 'm'   ? BPF_DEVCG_ACC_MKNOD
            : letter == 'r' ? BPF_DEVCG_ACC_READ
            : letter == 'w' ? BPF_DEVCG_ACC_WRITE
                            : 0;
  }
  return bits;
}

constexpr std::int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// The tests of one rule, each jumping past the block when it fails, then
// the verdict.
std::vector<bpf_insn> rule_block(const DeviceRule &rule) {
  std::vector<bpf_insn> block;
  if (rule.type != 'a') {
    block.push_back(
        jump_to_next(BPF_JNE, kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  }
  const auto bits = access_bits(rule.access);
  if (bits != kAllAccess) {
    block.push_back(move32(kScratch, kAccess));
    if (rule.allow) { // asked for something the rule does not grant
      block.push_back(alu32(BPF_AND, kScratch, kAllAccess & ~bits));
      block.push_back(jump_to_next(BPF_JNE, kScratch, 0));
    } else { // asked for nothing the rule refuses
      block.push_back(alu32(BPF_AND, kScratch, bits));
      block.push_back(jump_to_next(BPF_JEQ, kScratch, 0));
    }
  }
  if (rule.type != 'a' && rule.major >= 0) {
    block.push_back(jump_to_next(BPF_JNE, kMajor, static_cast<std::int32_t>(rule.major)));
  }
  if (rule.type != 'a' && rule.minor >= 0) {
    block.push_back(jump_to_next(BPF_JNE, kMinor, static_cast<std::int32_t>(rule.minor)));
  }
  block.push_back(instruction(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rule.allow ? 1 : 0));
  block.push_back(instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  for (std::size_t i = 0; i + 2 < block.size(); ++i) {
    if (BPF_CLASS(block[i].code) == BPF_JMP) {
      block[i].off = static_cast<std::int16_t>(block.size() - i - 1);
    }
  }
  return block;
}

std::int64_t device_number(const nlohmann::json &rule, const char *key) {
  auto found = rule.find(key);
  return found == rule.end() || !found->is_number() ? -1 : std::max<std::int64_t>(-1, *found);
}

long bpf(int command, bpf_attr &attr) {
  return ::syscall(SYS_bpf, command, &attr, sizeof attr);
}

// The verifier's last line about a program it refused, asked for only
// after a failure: the log costs time on every successful load.
std::string verifier_complaint(bpf_attr load) {
  std::string log(16384, '\0');
  load.log_level = 1;
  load.log_buf = reinterpret_cast<std::uint64_t>(log.data());
  load.log_size = static_cast<std::uint32_t>(log.size());
  const sdk::UniqueFd retried(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && log.back() == '\n') {
    log.pop_back();
  }
  const auto last_line = log.rfind('\n');
  return "verifier: " + (last_line == std::string::npos ? log : log.substr(last_line + 1));
}

} // namespace

std::vector<DeviceRule> device_rules_from_spec(const nlohmann::json &rules) {
  std::vector<DeviceRule> parsed;
  if (!rules.is_array()) {
    return parsed;
  }
  for (const auto &rule : rules) {
    if (!rule.is_object()) {
      continue;
    }
    const auto type = rule.value("type", std::string{"a"});
    parsed.push_back({rule.value("allow", false), type.empty() ? 'a' : type.front(),
                      device_number(rule, "major"), device_number(rule, "minor"),
                      rule.value("access", std::string{"rwm"})});
  }
  return parsed;
}

std::pair<std::string, std::string> v1_device_line(const DeviceRule &rule) {
  auto number = [](std::int64_t value) {
    return value < 0 ? std::string("*") : std::to_string(value);
  };
  std::string line = "a";
  if (rule.type != 'a') {
    line = std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " +
           rule.access;
  }
  return {rule.allow ? "devices.allow" : "devices.deny", line};
}

std::vector<bpf_insn> device_program(const std::vector<DeviceRule> &rules) {
  // ctx is struct bpf_cgroup_dev_ctx: access_type (access << 16 | type),
  // major, minor.
  std::vector<bpf_insn> program = {
      load_word(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32(BPF_AND, kType, 0xffff),
      load_word(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32(BPF_RSH, kAccess, 16),
      load_word(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_word(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (std::size_t i = rules.size(); i-- > 0;) {
    const auto block = rule_block(rules[i]);
    program.insert(program.end(), block.begin(), block.end());
    // A rule that matches everything ("a *:* rwm") ends the program: the
    // verifier refuses code that can never run.
    if (block.size() == 2) {
      return program;
    }
  }
  program.push_back(instruction(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
  program.push_back(instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return program;
}

sdk::Result<void> attach_device_program(int cgroup_dir, const std::vector<DeviceRule> &rules) {
  const auto program = device_program(rules);
  static constexpr std::array<char, 11> kLicense = {"Apache-2.0"};
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<std::uint64_t>(program.data());
  load.insn_cnt = static_cast<std::uint32_t>(program.size());
  load.license = reinterpret_cast<std::uint64_t>(kLicense.data());
  const sdk::UniqueFd loaded(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
  if (!loaded.valid()) {
    return sdk::errno_error("load the device cgroup program (bpf BPF_PROG_LOAD)",
                            verifier_complaint(load));
  }
  bpf_attr attach{};
  attach.target_fd = static_cast<std::uint32_t>(cgroup_dir);
  attach.attach_bpf_fd = static_cast<std::uint32_t>(loaded.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attach) != 0) {
    return sdk::errno_error("attach the device cgroup program (bpf BPF_PROG_ATTACH)", "");
  }
  return {};
}

} // namespace berth::runtime
