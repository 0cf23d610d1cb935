// test_plugin_abi.cpp: loading plugins: the ABI version check, files that are not plugins, the
// C ABI used from plain C, parameter declarations, and the registry's search.
#include <gtest/gtest.h>
#include <keepwarm/policy.hpp>

#include <array>
#include <cstddef>

#include "keepwarm/util/sha256.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

std::string load_error(const std::filesystem::path& file) {
  try {
    Plugin::load(file);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

TEST(PluginAbi, WrongMajorVersionIsRefusedNamingBothVersions) {
  const auto file = test::test_plugin_file("test-wrong-major.so");
  const std::string msg = load_error(file);
  ASSERT_FALSE(msg.empty()) << "a plugin built for ABI 99.0 was accepted";
  EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("99.0"), std::string::npos) << msg;
  // ... and the host's own ABI version.
  const std::string host_abi =
      "ABI " + std::to_string(KW_ABI_VERSION_MAJOR) + "." + std::to_string(KW_ABI_VERSION_MINOR);
  EXPECT_NE(msg.find(host_abi), std::string::npos) << msg;
}

TEST(PluginAbi, NewerMinorVersionIsRefused) {
  const std::string msg = load_error(test::test_plugin_file("test-newer-minor.so"));
  ASSERT_FALSE(msg.empty());
  EXPECT_NE(msg.find("1.99"), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer host"), std::string::npos) << msg;
}

TEST(PluginAbi, FileThatIsNotALibraryGetsAClearError) {
  const auto file = test::test_plugin_file("not-a-library.so");
  const std::string msg = load_error(file);
  EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot load as a shared library"), std::string::npos) << msg;
}

TEST(PluginAbi, LibraryWithoutTheEntrySymbolGetsAClearError) {
  const auto file = test::test_plugin_file("test-no-entry.so");
  const std::string msg = load_error(file);
  EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not export keepwarm_policy_entry"), std::string::npos) << msg;
}

TEST(PluginAbi, MissingFileGetsAClearError) {
  EXPECT_NE(load_error("/nonexistent/policy.so").find("no such plugin file"), std::string::npos);
}

TEST(PluginAbi, PlainCPolicyLoadsAndRuns) {
  const PluginPtr p = Plugin::load(test::test_plugin_file("test-c-policy.so"));
  EXPECT_EQ(p->name(), "c-first-idle");
  const CellResult r = test::run(test::worked_example(), p, 400);
  EXPECT_EQ(r.metrics.cold + r.metrics.warm + r.metrics.dropped, 5u);
  EXPECT_EQ(r.metrics.evictions, 2u);  // evicts the first-known idle container (x), then z
}

TEST(PluginAbi, LibraryStaysLoadedWhilePoliciesUseIt) {
  // The Plugin owns the shared library; a copy of the pointer keeps the descriptor valid.
  PluginPtr keep;
  {
    const PluginPtr p = Plugin::load(test::test_plugin_file("test-c-policy.so"));
    keep = p;
  }
  EXPECT_STREQ(keep->descriptor().name, "c-first-idle");
}

class WithParams final : public Policy {
 public:
  static constexpr const char* kName = "with-params";
  static constexpr const char* kVersion = "2.1.0";
  static constexpr const char* kDescription = "declares parameters";
  static constexpr std::array<kw_param_decl, 3> kParams{{
      {"window_min", KW_PARAM_DOUBLE, "10", "keep-alive window, minutes"},
      {"bins", KW_PARAM_INT, "240", "histogram bins"},
      {"adaptive", KW_PARAM_BOOL, "true", "adapt the window"},
  }};
  using Policy::Policy;
  kw_container_id choose_victim(kw_function_id) override { return KW_NO_CONTAINER; }
};

TEST(PluginParams, DefaultsUserValuesAndErrors) {
  const PluginPtr p = Plugin::from_descriptor(descriptor_for<WithParams>(), "test");
  auto resolved = p->resolve_params({});
  EXPECT_EQ(resolved.at("window_min"), "10");
  EXPECT_EQ(resolved.at("bins"), "240");
  resolved = p->resolve_params({{"bins", "60"}});
  EXPECT_EQ(resolved.at("bins"), "60");
  try {
    p->resolve_params({{"window_mins", "3"}});
    FAIL() << "a misspelled parameter was accepted";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("no parameter 'window_mins'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("window_min"), std::string::npos);
  }
  EXPECT_THROW(p->resolve_params({{"bins", "1.5"}}), PluginError);
  EXPECT_THROW(p->resolve_params({{"adaptive", "yes"}}), PluginError);
  EXPECT_NO_THROW(p->resolve_params({{"window_min", "2.5"}}));
}

TEST(PluginRegistry, FindsBuiltinsByNameAndListsAlternativesForUnknownNames) {
  PluginRegistry registry({std::filesystem::path(KEEPWARM_PLUGIN_DIR)});
  EXPECT_EQ(registry.find("lru")->name(), "lru");
  EXPECT_TRUE(registry.find("rand")->randomised());
  try {
    registry.find("lur");
    FAIL();
  } catch (const PluginError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown policy 'lur'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("lru"), std::string::npos) << msg;
  }
  // A path works too.
  EXPECT_EQ(registry.find(test::test_plugin_file("test-c-policy.so").string())->name(),
            "c-first-idle");
}

}  // namespace

namespace {

TEST(PluginAbi, CompatibilityRuleAcrossSimulatedHostVersions) {
  // A plugin built against SDK 1.0 keeps loading in every host 1.x ...
  EXPECT_EQ(abi_incompatibility({1, 0}, {1, 0}), "");
  EXPECT_EQ(abi_incompatibility({1, 0}, {1, 7}), "");
  EXPECT_EQ(abi_incompatibility({1, 3}, {1, 3}), "");
  // ... a newer minor or another major is refused, naming both versions.
  const std::string newer = abi_incompatibility({1, 4}, {1, 3});
  EXPECT_NE(newer.find("ABI 1.4"), std::string::npos) << newer;
  EXPECT_NE(newer.find("ABI 1.3"), std::string::npos) << newer;
  EXPECT_NE(newer.find("newer host"), std::string::npos) << newer;
  const std::string older_major = abi_incompatibility({1, 0}, {2, 0});
  EXPECT_NE(older_major.find("ABI 1.0"), std::string::npos) << older_major;
  EXPECT_NE(older_major.find("ABI 2.0"), std::string::npos) << older_major;
  EXPECT_NE(older_major.find("major version must match"), std::string::npos) << older_major;
  EXPECT_NE(abi_incompatibility({2, 0}, {1, 9}), "");
}

TEST(PluginAbi, OlderSdkDescriptorLoadsAndIsReadOnlyUpToItsSize) {
  const PluginPtr p = Plugin::load(test::test_plugin_file("test-older-sdk.so"));
  EXPECT_LT(p->descriptor().struct_size, sizeof(kw_policy_descriptor));
  // The field past struct_size holds a function in the plugin's memory; the host ignores it.
  EXPECT_EQ(p->descriptor().choose_warm, nullptr);
  // The worked example has a warm start, which would ask choose_warm.
  const CellResult r = test::run(test::worked_example(), p, 400);
  EXPECT_EQ(r.metrics.warm, 1u);
  EXPECT_EQ(r.metrics.evictions, 2u);
}

TEST(PluginAbi, InProcessDescriptorWithOlderSizeIsZeroExtended) {
  const PluginPtr c_policy = Plugin::load(test::test_plugin_file("test-c-policy.so"));
  kw_policy_descriptor d = c_policy->descriptor();
  d.struct_size = static_cast<uint32_t>(offsetof(kw_policy_descriptor, choose_warm));
  d.choose_warm = [](void*, kw_function_id) -> kw_container_id { return 42; };
  const PluginPtr p = Plugin::from_descriptor(&d, "test");
  EXPECT_EQ(p->descriptor().choose_warm, nullptr);
  d.struct_size = static_cast<uint32_t>(offsetof(kw_policy_descriptor, choose_victim));
  EXPECT_THROW(Plugin::from_descriptor(&d, "test"), PluginError);
}

TEST(PluginAbi, LoadedPluginCarriesTheSha256OfItsFile) {
  const auto file = test::test_plugin_file("test-c-policy.so");
  const PluginPtr p = Plugin::load(file);
  EXPECT_EQ(p->sha256().size(), 64u);
  EXPECT_EQ(p->sha256(), sha256_file_hex(file));
  EXPECT_NE(p->sha256(), Plugin::load(test::test_plugin_file("test-older-sdk.so"))->sha256());
}

}  // namespace
