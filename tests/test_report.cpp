// test_report.cpp: what a run leaves for people to look at: functions.csv, the SVG plots (valid
// XML, drawing exactly the numbers of results.csv), report.html, `keepwarm report` reproducing
// them byte for byte, and the event log of a single cell.
#include <gtest/gtest.h>
#include <keepwarm/policy.hpp>

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "keepwarm/experiment/event_log.hpp"
#include "keepwarm/experiment/results.hpp"
#include "keepwarm/report/plot_svg.hpp"
#include "keepwarm/report/report.hpp"
#include "keepwarm/util/json_read.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

// ---- a small XML well-formedness checker ---------------------------------------------------

// Returns "" when text is one well-formed XML element (optionally preceded by a declaration,
// comments, a doctype), or a description of the first problem.
std::string xml_problem(const std::string& s) {
  size_t i = 0;
  std::vector<std::string> open;
  bool root_seen = false;
  auto is_name_start = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  auto is_name = [&](char c) {
    return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  };
  auto at = [&](size_t pos) { return "at offset " + std::to_string(pos); };
  auto entity = [&](size_t& p) -> bool {  // s[p] == '&'
    const size_t semi = s.find(';', p);
    if (semi == std::string::npos || semi - p > 10) return false;
    const std::string name = s.substr(p + 1, semi - p - 1);
    static const std::set<std::string> named{"amp", "lt", "gt", "quot", "apos"};
    bool ok = named.count(name) > 0;
    if (!ok && name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x';
      const std::string digits = name.substr(hex ? 2 : 1);
      ok = !digits.empty() && digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                           : "0123456789") == std::string::npos;
    }
    p = semi + 1;
    return ok;
  };
  while (i < s.size()) {
    if (s[i] == '<') {
      if (s.compare(i, 4, "<!--") == 0) {
        const size_t end = s.find("-->", i + 4);
        if (end == std::string::npos) return "unterminated comment " + at(i);
        i = end + 3;
      } else if (s.compare(i, 2, "<?") == 0) {
        const size_t end = s.find("?>", i + 2);
        if (end == std::string::npos) return "unterminated declaration " + at(i);
        i = end + 2;
      } else if (s.compare(i, 9, "<![CDATA[") == 0) {
        if (open.empty()) return "CDATA outside the root " + at(i);
        const size_t end = s.find("]]>", i);
        if (end == std::string::npos) return "unterminated CDATA " + at(i);
        i = end + 3;
      } else if (s.compare(i, 2, "<!") == 0) {
        if (root_seen) return "doctype after the root " + at(i);
        const size_t end = s.find('>', i);
        if (end == std::string::npos) return "unterminated doctype " + at(i);
        i = end + 1;
      } else if (s.compare(i, 2, "</") == 0) {
        size_t p = i + 2;
        const size_t start = p;
        while (p < s.size() && is_name(s[p])) ++p;
        const std::string name = s.substr(start, p - start);
        while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
        if (p >= s.size() || s[p] != '>') return "bad end tag " + at(i);
        if (open.empty() || open.back() != name)
          return "end tag </" + name + "> does not match " +
                 (open.empty() ? std::string("anything") : "<" + open.back() + ">") + " " + at(i);
        open.pop_back();
        i = p + 1;
      } else {
        if (root_seen && open.empty()) return "second root element " + at(i);
        size_t p = i + 1;
        if (p >= s.size() || !is_name_start(s[p])) return "bad tag name " + at(i);
        const size_t start = p;
        while (p < s.size() && is_name(s[p])) ++p;
        const std::string name = s.substr(start, p - start);
        std::set<std::string> attrs;
        for (;;) {
          const size_t before = p;
          while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
          if (p >= s.size()) return "unterminated tag " + at(i);
          if (s[p] == '>' || s.compare(p, 2, "/>") == 0) break;
          if (p == before) return "attributes need white space before them " + at(p);
          if (!is_name_start(s[p])) return "bad attribute name " + at(p);
          const size_t a = p;
          while (p < s.size() && is_name(s[p])) ++p;
          const std::string attr = s.substr(a, p - a);
          if (!attrs.insert(attr).second) return "duplicate attribute " + attr + " " + at(a);
          if (p >= s.size() || s[p] != '=') return "attribute without value " + at(a);
          ++p;
          if (p >= s.size() || (s[p] != '"' && s[p] != '\'')) return "unquoted value " + at(p);
          const char q = s[p++];
          while (p < s.size() && s[p] != q) {
            if (s[p] == '<') return "'<' in attribute value " + at(p);
            if (s[p] == '&') {
              if (!entity(p)) return "bad entity in attribute " + at(p);
            } else {
              ++p;
            }
          }
          if (p >= s.size()) return "unterminated attribute value " + at(a);
          ++p;
        }
        root_seen = true;
        if (s[p] == '/') {
          i = p + 2;
        } else {
          open.push_back(name);
          i = p + 1;
        }
      }
    } else if (s[i] == '&') {
      if (open.empty()) return "entity outside the root " + at(i);
      size_t p = i;
      if (!entity(p)) return "bad entity " + at(i);
      i = p;
    } else {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(s[i])))
        return "text outside the root " + at(i);
      ++i;
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

TEST(XmlChecker, AcceptsGoodAndRejectsBadDocuments) {
  EXPECT_EQ(xml_problem("<a x=\"1\"><b/>t &amp; &#169;<c y='2'>z</c></a>"), "");
  EXPECT_EQ(xml_problem("<?xml version=\"1.0\"?>\n<!-- hi --><a/>\n"), "");
  EXPECT_NE(xml_problem("<a><b></a></b>"), "");
  EXPECT_NE(xml_problem("<a>x < y</a>"), "");
  EXPECT_NE(xml_problem("<a>fish & chips</a>"), "");
  EXPECT_NE(xml_problem("<a x=1/>"), "");
  EXPECT_NE(xml_problem("<a x=\"1\" x=\"2\"/>"), "");
  EXPECT_NE(xml_problem("<a/><b/>"), "");
  EXPECT_NE(xml_problem("<a>"), "");
}

// ---- helpers ---------------------------------------------------------------------------------

using Csv = test::CsvTable;

Csv read_csv(const fs::path& file) { return test::read_csv(file); }

// The (data-x, data-y) pairs of the points of one series in an SVG plot.
std::vector<std::pair<double, double>> points_of(const std::string& svg,
                                                 const std::string& series) {
  std::vector<std::pair<double, double>> out;
  const std::string open = "<g class=\"series\" data-series=\"" + series + "\" ";
  const size_t start = svg.find(open);
  if (start == std::string::npos) return out;
  const size_t end = svg.find("</g>", start);
  const std::string block = svg.substr(start, end - start);
  static const std::regex point("data-x=\"([^\"]*)\" data-y=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), point);
       it != std::sregex_iterator(); ++it)
    out.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  return out;
}

std::string run_ok(const std::string& args) {
  const auto r = test::run_keepwarm(args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  return r.output;
}

class Report : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    test::write_pressure_trace(*dir_ / "t");
    run_ok("run -q --reproducible --jobs 2 --trace " + (*dir_ / "t").string() +
           " --policy rand,lru --memory 150,300,600,5000 --seeds 2 --out " +
           (*dir_ / "out").string());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path out() { return *dir_ / "out"; }
  static test::TempDir* dir_;
};
test::TempDir* Report::dir_ = nullptr;

// ---- functions.csv -------------------------------------------------------------------------

TEST_F(Report, FunctionsCsvSumsToTheCellTotals) {
  const Csv cells = read_csv(out() / "results.csv");
  const Csv fns = read_csv(out() / "functions.csv");
  EXPECT_EQ(fns.header, (std::vector<std::string>{"trace", "policy", "memory_mb", "seed",
                                                  "function", "invocations", "warm", "cold",
                                                  "dropped", "evictions", "expirations"}));
  ASSERT_EQ(cells.rows.size(), 4u * 2u + 4u);
  EXPECT_EQ(fns.rows.size(), cells.rows.size() * 30u);
  const std::vector<std::string> counts{"invocations", "warm",      "cold",
                                        "dropped",     "evictions", "expirations"};
  std::map<std::string, std::map<std::string, uint64_t>> sums;
  for (const auto& row : fns.rows) {
    const std::string key =
        row.at("trace") + "/" + row.at("policy") + "/" + row.at("memory_mb") + "/" + row.at("seed");
    for (const std::string& c : counts) sums[key][c] += std::stoull(row.at(c));
  }
  ASSERT_EQ(sums.size(), cells.rows.size());
  bool some_evictions = false;
  for (const auto& row : cells.rows) {
    const std::string key =
        row.at("trace") + "/" + row.at("policy") + "/" + row.at("memory_mb") + "/" + row.at("seed");
    for (const std::string& c : counts)
      EXPECT_EQ(sums[key][c], std::stoull(row.at(c))) << key << " " << c;
    some_evictions = some_evictions || row.at("evictions") != "0";
  }
  EXPECT_TRUE(some_evictions);
}

// ---- plots ---------------------------------------------------------------------------------

TEST_F(Report, PlotsAreWellFormedSvg) {
  for (const char* kind : {"cold", "dropped", "latency", "vs-baseline", "tradeoff"}) {
    const fs::path file = out() / "plots" / (std::string("t-") + kind + ".svg");
    ASSERT_TRUE(fs::exists(file)) << file;
    const std::string svg = test::read_text(file);
    EXPECT_EQ(xml_problem(svg), "") << file;
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
    // Axis labels with units, a legend naming both policies, RAND as the dashed baseline.
    EXPECT_NE(
        svg.find(kind == std::string("tradeoff") ? "idle memory-time (" : "server memory (MB)"),
        std::string::npos);
    EXPECT_NE(svg.find(">lru</text>"), std::string::npos);
    EXPECT_NE(svg.find(">rand (baseline, 2-seed mean)</text>"), std::string::npos);
    EXPECT_NE(svg.find("stroke=\"#000000\" stroke-width=\"2\" stroke-linejoin=\"round\" "
                       "stroke-dasharray"),
              std::string::npos);
  }
  // 150..5000 MB spans more than 8x: the memory axis is log2 with the sizes as ticks.
  const std::string cold = test::read_text(out() / "plots/t-cold.svg");
  EXPECT_NE(cold.find("server memory (MB) (log\u2082 scale)"), std::string::npos);
  EXPECT_NE(cold.find(">5000</text>"), std::string::npos);
}

TEST_F(Report, PlotsDrawTheNumbersOfResultsCsv) {
  const Csv cells = read_csv(out() / "results.csv");
  const std::string cold = test::read_text(out() / "plots/t-cold.svg");
  const std::string dropped = test::read_text(out() / "plots/t-dropped.svg");
  const std::string trade = test::read_text(out() / "plots/t-tradeoff.svg");
  const auto lru_cold = points_of(cold, "lru");
  const auto lru_dropped = points_of(dropped, "lru");
  const auto lru_trade = points_of(trade, "lru");
  ASSERT_EQ(lru_cold.size(), 4u);
  ASSERT_EQ(lru_trade.size(), 4u);
  std::map<double, std::pair<double, int>> rand_cold;  // memory -> (sum, n)
  for (const auto& row : cells.rows) {
    const double mem = std::stod(row.at("memory_mb"));
    if (row.at("policy") == "rand") {
      rand_cold[mem].first += std::stod(row.at("cold_pct"));
      ++rand_cold[mem].second;
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < lru_cold.size(); ++i) {
      if (lru_cold[i].first != mem) continue;
      found = true;
      EXPECT_EQ(lru_cold[i].second, std::stod(row.at("cold_pct"))) << mem;
      EXPECT_EQ(lru_dropped[i].second, std::stod(row.at("dropped_pct"))) << mem;
      // The trade-off plot shares the memory order: x = idle_mb_s, y = cold %.
      EXPECT_EQ(lru_trade[i].first, std::stod(row.at("idle_mb_s"))) << mem;
      EXPECT_EQ(lru_trade[i].second, std::stod(row.at("cold_pct"))) << mem;
    }
    EXPECT_TRUE(found) << mem;
  }
  const auto rand_points = points_of(cold, "rand (baseline, 2-seed mean)");
  ASSERT_EQ(rand_points.size(), 4u);
  for (const auto& [x, y] : rand_points) {
    ASSERT_TRUE(rand_cold.count(x));
    EXPECT_NEAR(y, rand_cold[x].first / rand_cold[x].second, 1e-9) << x;
  }
}

// The attributes of each series group of an SVG plot: name -> {color, marker, dash}.
std::map<std::string, std::vector<std::string>> series_styles(const std::string& svg) {
  std::map<std::string, std::vector<std::string>> out;
  static const std::regex g(
      "<g class=\"series\" data-series=\"([^\"]*)\" data-color=\"([^\"]*)\" "
      "data-marker=\"([^\"]*)\" data-dash=\"([^\"]*)\">");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), g); it != std::sregex_iterator();
       ++it)
    out[(*it)[1]] = {(*it)[2], (*it)[3], (*it)[4]};
  return out;
}

// The block of one series (from its <g> to its </g>).
std::string series_block(const std::string& svg, const std::string& series) {
  const size_t start = svg.find("<g class=\"series\" data-series=\"" + series + "\" ");
  if (start == std::string::npos) return "";
  return svg.substr(start, svg.find("</g>", start) - start);
}

TEST_F(Report, SeriesDifferInColourMarkerAndDash) {
  for (const char* kind : {"cold", "dropped", "latency", "vs-baseline", "tradeoff"}) {
    const std::string svg = test::read_text(out() / "plots" / (std::string("t-") + kind + ".svg"));
    const auto styles = series_styles(svg);
    ASSERT_EQ(styles.size(), 2u) << kind;
    const auto& rand = styles.at("rand (baseline, 2-seed mean)");
    const auto& lru = styles.at("lru");
    for (size_t i = 0; i < 3; ++i) EXPECT_NE(rand[i], lru[i]) << kind << " attribute " << i;
    // No title drawn in the image (the report's heading and caption say what it is).
    EXPECT_NE(svg.find("<title>t: "), std::string::npos) << kind;
    EXPECT_EQ(svg.find(">t: "), svg.find("<title>t: ") + 6) << kind << ": title drawn as text";
  }
  // Many series: the first 8 have distinct colours, the first 9 distinct markers, the first 5
  // distinct dashes, and no two of the first 360 share all three.
  std::set<std::string> colours, markers, dashes, all;
  for (size_t i = 0; i < 360; ++i) {
    const plot::Style st = plot::style(i);
    if (i < 8) {
      EXPECT_TRUE(colours.insert(st.color).second) << i;
    }
    if (i < 9) {
      EXPECT_TRUE(markers.insert(std::to_string(static_cast<int>(st.marker))).second) << i;
    }
    if (i < 5) {
      EXPECT_TRUE(dashes.insert(st.dash).second) << i;
    }
    EXPECT_TRUE(
        all.insert(st.color + "/" + std::to_string(static_cast<int>(st.marker)) + "/" + st.dash)
            .second)
        << i;
    EXPECT_NE(st.color, plot::baseline_style().color);
  }
}

TEST_F(Report, ErrorBarsAreTheConfidenceIntervalsOfTheSeeds) {
  const Csv cells = read_csv(out() / "results.csv");
  std::map<double, std::vector<double>> rand_cold;  // memory -> cold_pct per seed
  for (const auto& row : cells.rows)
    if (row.at("policy") == "rand")
      rand_cold[std::stod(row.at("memory_mb"))].push_back(std::stod(row.at("cold_pct")));
  const std::string svg = test::read_text(out() / "plots/t-cold.svg");
  const std::string rand = series_block(svg, "rand (baseline, 2-seed mean)");
  const std::string lru = series_block(svg, "lru");
  ASSERT_FALSE(rand.empty());
  EXPECT_NE(rand.find("class=\"errorbar\""), std::string::npos);
  EXPECT_EQ(lru.find("class=\"errorbar\""), std::string::npos);  // one seed: no bar
  EXPECT_EQ(lru.find("data-y-lo"), std::string::npos);
  static const std::regex pt(
      "data-x=\"([^\"]*)\" data-y=\"([^\"]*)\" data-y-lo=\"([^\"]*)\" data-y-hi=\"([^\"]*)\"");
  size_t bars = 0;
  for (auto it = std::sregex_iterator(rand.begin(), rand.end(), pt); it != std::sregex_iterator();
       ++it) {
    const std::vector<double>& v = rand_cold.at(std::stod((*it)[1]));
    ASSERT_EQ(v.size(), 2u);
    // Two seeds: mean +- t(0.975, 1) * sd / sqrt(2) = mean +- 12.7062 * |a - b| / 2.
    const double mean = (v[0] + v[1]) / 2, half = 12.7062047362 * std::fabs(v[0] - v[1]) / 2;
    EXPECT_NEAR(std::stod((*it)[2]), mean, 1e-9);
    EXPECT_NEAR(std::stod((*it)[3]), mean - half, 1e-6);
    EXPECT_NEAR(std::stod((*it)[4]), mean + half, 1e-6);
    ++bars;
  }
  EXPECT_GE(bars, 3u);  // the sizes where the seeds differ
}

TEST_F(Report, LatencyAndBaselinePlotsDrawTheirNumbers) {
  const Csv cells = read_csv(out() / "results.csv");
  std::map<double, double> lru_latency, lru_misses, rand_misses;
  std::map<double, int> rand_n;
  for (const auto& row : cells.rows) {
    const double mem = std::stod(row.at("memory_mb"));
    const double misses = std::stod(row.at("cold")) + std::stod(row.at("dropped"));
    if (row.at("policy") == "lru") {
      lru_latency[mem] = std::stod(row.at("added_latency_ms")) / std::stod(row.at("invocations"));
      lru_misses[mem] = misses;
    } else {
      rand_misses[mem] += misses;
      ++rand_n[mem];
    }
  }
  const std::string latency = test::read_text(out() / "plots/t-latency.svg");
  EXPECT_NE(latency.find("added latency per invocation (ms)"), std::string::npos);
  const auto lat = points_of(latency, "lru");
  ASSERT_EQ(lat.size(), 4u);
  for (const auto& [x, y] : lat) EXPECT_NEAR(y, lru_latency.at(x), 1e-9 * (1 + y)) << x;

  const std::string vs = test::read_text(out() / "plots/t-vs-baseline.svg");
  EXPECT_NE(vs.find("(log scale)"), std::string::npos);
  EXPECT_NE(vs.find("class=\"reference\""), std::string::npos);  // the line at 1
  for (const auto& [x, y] : points_of(vs, "rand (baseline, 2-seed mean)")) EXPECT_EQ(y, 1) << x;
  const auto ratio = points_of(vs, "lru");
  ASSERT_EQ(ratio.size(), 4u);
  for (const auto& [x, y] : ratio)
    EXPECT_NEAR(y, (lru_misses.at(x) + 1) / (rand_misses.at(x) / rand_n.at(x) + 1), 1e-12) << x;
  // The trade-off plot shows memory-time in a human unit, its points still in MB*s.
  const std::string trade = test::read_text(out() / "plots/t-tradeoff.svg");
  EXPECT_EQ(trade.find("MB\u00b7s)"), std::string::npos);
  EXPECT_NE(trade.find("idle memory-time (GB\u00b7"), std::string::npos);
}

TEST_F(Report, PngAndPdfWhenRsvgConvertIsThere) {
  if (find_rsvg_convert().empty()) GTEST_SKIP() << "rsvg-convert not installed (librsvg2-bin)";
  for (const char* kind : {"cold", "dropped", "latency", "vs-baseline", "tradeoff"}) {
    const std::string png = test::read_text(out() / "plots" / (std::string("t-") + kind + ".png"));
    const std::string pdf = test::read_text(out() / "plots" / (std::string("t-") + kind + ".pdf"));
    ASSERT_GT(png.size(), 24u) << kind;
    EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n") << kind;
    // 2x the SVG's 720 units: 1440 px wide (big-endian IHDR width).
    const auto byte = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(png[i]));
    };
    EXPECT_EQ(byte(16) << 24 | byte(17) << 16 | byte(18) << 8 | byte(19), 1440u) << kind;
    EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u) << kind;
    EXPECT_EQ(pdf.find("CreationDate (D:2"), std::string::npos) << kind << ": not reproducible";
  }
  EXPECT_NE(test::read_text(out() / "report.html").find("as SVG, PNG and PDF"), std::string::npos);
}

TEST(ReportRaster, AFailingRsvgConvertCostsOnlyTheCopies) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 100);
  test::write_text(dir / "bin/rsvg-convert", "#!/bin/sh\necho broken >&2\nexit 3\n");
  fs::permissions(dir / "bin/rsvg-convert", fs::perms::owner_all);
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", ((dir / "bin").string() + ":" + saved).c_str(), 1);
  const auto r = test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                                    " --policy lru --memory 100,200 --out " + (dir / "o").string());
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "o/plots/t-cold.svg"));
  EXPECT_FALSE(fs::exists(dir / "o/plots/t-cold.png"));
  EXPECT_FALSE(fs::exists(dir / "o/plots/t-cold.png.tmp"));
  const std::string html = test::read_text(dir / "o/report.html");
  EXPECT_NE(html.find("the PNG and PDF copies failed ("), std::string::npos);
  EXPECT_NE(html.find("could not convert"), std::string::npos);
}

// Memory sizes relative to each trace's peak have no one list in MB: the settings give each
// trace's own sizes, from its cells.
TEST(ReportSettings, RelativeMemorySizesAreListedPerTrace) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "a", 5, 100);
  test::write_pressure_trace(dir / "b", 3, 100);
  const auto r = test::run_keepwarm(
      "run -q --svg-only --trace " + (dir / "a").string() + " --trace " + (dir / "b").string() +
      " --policy lru --memory 50%,100% --out " + (dir / "o").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = test::read_text(dir / "o/report.html");
  const size_t at = html.find("<td class=\"l\">memory sizes (MB)</td><td class=\"l\">");
  ASSERT_NE(at, std::string::npos);
  const std::string cell = html.substr(at, html.find("</td></tr>", at) - at);
  EXPECT_NE(cell.find(">a: "), std::string::npos) << cell;
  EXPECT_NE(cell.find("; b: "), std::string::npos) << cell;
  // Each trace's two sizes, the smaller first: 50% and 100% of its own peak.
  for (const char* t : {"a", "b"}) {
    const size_t p = cell.find(std::string(t) + ": ");
    ASSERT_NE(p, std::string::npos);
    const size_t q = cell.find(", ", p);
    ASSERT_NE(q, std::string::npos) << cell;
    const uint64_t lo = std::stoull(cell.substr(p + 3)), hi = std::stoull(cell.substr(q + 2));
    EXPECT_LT(lo, hi) << cell;
    EXPECT_NEAR(static_cast<double>(lo), hi / 2.0, 1.0) << cell;
  }
}

TEST(ReportRaster, WithoutRsvgConvertOnlySvgWithANote) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 100);
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir / "empty").c_str(), 1);
  const auto r = test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                                    " --policy lru --memory 100,200 --out " + (dir / "o").string());
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "o/plots/t-cold.svg"));
  EXPECT_FALSE(fs::exists(dir / "o/plots/t-cold.png"));
  EXPECT_FALSE(fs::exists(dir / "o/plots/t-cold.pdf"));
  EXPECT_NE(test::read_text(dir / "o/report.html").find("need rsvg-convert"), std::string::npos);
}

TEST_F(Report, HtmlIsSelfContained) {
  const std::string html = test::read_text(out() / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // The only URL is the SVG namespace.
  size_t urls = 0, svgs = 0;
  for (size_t p = html.find("http"); p != std::string::npos; p = html.find("http", p + 1)) {
    ++urls;
    EXPECT_EQ(html.compare(p, 26, "http://www.w3.org/2000/svg"), 0) << html.substr(p, 40);
  }
  for (size_t p = html.find("<svg "); p != std::string::npos; p = html.find("<svg ", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 5u);
  EXPECT_EQ(urls, 5u);
  // Settings, ranking tables and the worst-served functions.
  EXPECT_NE(html.find("<td class=\"l\">memory sizes (MB)</td><td class=\"l\">150, 300, 600, 5000"),
            std::string::npos);
  EXPECT_NE(html.find("<summary>150 MB</summary>"), std::string::npos);
  EXPECT_NE(html.find("Overall ranking over 4 memory sizes"), std::string::npos);
  EXPECT_NE(html.find("Worst-served functions at 150 MB"), std::string::npos);
  // Each plot is a numbered figure with a caption naming its file; the ranking tables say what
  // the sign means and rank by the score.
  size_t captions = 0;
  for (size_t p = html.find("<figcaption>"); p != std::string::npos;
       p = html.find("<figcaption>", p + 1))
    ++captions;
  EXPECT_EQ(captions, 5u);
  EXPECT_NE(html.find("<b>Figure 5.</b> t: "), std::string::npos);
  EXPECT_NE(html.find("plots/t-vs-baseline.svg</span></figcaption>"), std::string::npos);
  EXPECT_NE(html.find("negative is better"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"l\">policy</th><th>score</th><th>vs rand</th>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">baseline (the \u201cvs\u201d columns)</td><td "
                      "class=\"l\">rand</td>"),
            std::string::npos);
  // The body between <body> and </body> is well-formed XML too (void tags only in <head>).
  const size_t b = html.find("<body>"), e = html.find("</body>");
  ASSERT_NE(b, std::string::npos);
  EXPECT_EQ(xml_problem(html.substr(b, e + 7 - b)), "");
}

TEST_F(Report, ReportCommandReproducesTheFilesByteForByte) {
  const fs::path copy = *dir_ / "copy";
  fs::create_directories(copy);
  for (const char* f : {"results.csv", "results.json", "functions.csv"})
    fs::copy_file(out() / f, copy / f);
  run_ok("report " + copy.string());
  std::vector<std::string> files{"report.html", "summary.csv"};
  for (const char* kind : {"cold", "dropped", "latency", "vs-baseline", "tradeoff"}) {
    files.push_back(std::string("plots/t-") + kind + ".svg");
    if (!find_rsvg_convert().empty())  // PNG and PDF are reproducible too
      for (const char* ext : {".png", ".pdf"})
        files.push_back(std::string("plots/t-") + kind + ext);
  }
  for (const std::string& f : files) {
    ASSERT_TRUE(fs::exists(copy / f)) << f;
    EXPECT_TRUE(test::read_text(out() / f) == test::read_text(copy / f)) << f << " differs";
  }
  // Regenerating in place changes nothing either.
  run_ok("report " + out().string());
  for (const std::string& f : files)
    EXPECT_TRUE(test::read_text(out() / f) == test::read_text(copy / f)) << f << " differs";
}

TEST_F(Report, LogYIsAnOption) {
  ReportOptions o;
  o.log_y = true;
  std::map<std::string, std::string> files;
  for (const RenderedFile& f : render_report(read_report_data(out()), o)) files[f.path] = f.content;
  EXPECT_NE(files.at("plots/t-cold.svg").find("cold starts (% of started) (log scale)"),
            std::string::npos);
  EXPECT_NE(files.at("plots/t-latency.svg").find("(log scale)"), std::string::npos);
  // The default is linear, as the files of the run are.
  EXPECT_EQ(test::read_text(out() / "plots/t-cold.svg").find("(log scale)"), std::string::npos);
  EXPECT_NE(files.at("plots/t-cold.svg"), test::read_text(out() / "plots/t-cold.svg"));
}

TEST(ReportCommand, MissingOrBrokenFilesGiveClearErrors) {
  test::TempDir dir;
  auto r = test::run_keepwarm("report " + dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("results.json"), std::string::npos) << r.output;
  test::write_text(dir / "results.json", "{\"keepwarm_version\": \"1\", \"experiment\": [}");
  r = test::run_keepwarm("report " + dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("results.json: 1:"), std::string::npos) << r.output;
  // A good results.json with a broken results.csv: the error names file and line.
  test::TempDir ok;
  test::write_pressure_trace(ok / "t", 5, 100);
  run_ok("run -q --trace " + (ok / "t").string() + " --policy lru --memory 100,200 --out " +
         (ok / "o").string());
  std::string csv = test::read_text(ok / "o/results.csv");
  csv.insert(csv.rfind("t,lru,200,"), "t,lru,150,1,oops\n");
  test::write_text(ok / "o/results.csv", csv);
  r = test::run_keepwarm("report " + (ok / "o").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("results.csv:3: expected 18 fields, found 5"), std::string::npos)
      << r.output;
  csv = test::read_text(ok / "o/results.csv");
  csv.replace(csv.find("t,lru,150,1,oops"), 16, "t,lru,1x0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1");
  test::write_text(ok / "o/results.csv", csv);
  r = test::run_keepwarm("report " + (ok / "o").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("results.csv:3: memory_mb '1x0' is not an integer"), std::string::npos)
      << r.output;
}

TEST(ReportNames, TraceNamesAreEscapedAndFileNamesSafe) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "a&b<c>", 5, 200);
  run_ok("run -q --trace '" + (dir / "a&b<c>").string() + "' --policy lru --memory 100,200 --out " +
         (dir / "o").string());
  ASSERT_TRUE(fs::exists(dir / "o/plots/a_b_c_-cold.svg"));
  const std::string svg = test::read_text(dir / "o/plots/a_b_c_-cold.svg");
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("a&amp;b&lt;c&gt;: cold starts vs memory"), std::string::npos);
  const std::string html = test::read_text(dir / "o/report.html");
  EXPECT_NE(html.find("<h2>Trace a&amp;b&lt;c&gt;</h2>"), std::string::npos);
  EXPECT_EQ(html.find("a&b<c>"), std::string::npos);
}

// The progress line appears only for runs longer than about a second; `script` gives the
// command a terminal.
TEST(Progress, NoLineForShortRunsOnATerminal) {
  if (std::system("command -v script > /dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 10, 500);
  const std::string cmd = "script -qec \"'" + std::string(KEEPWARM_EXE) + "' run --trace " +
                          (dir / "t").string() + " --policy lru --memory 100,200 --out " +
                          (dir / "o").string() + "\" /dev/null > " + (dir / "tty.txt").string() +
                          " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string out = test::read_text(dir / "tty.txt");
  EXPECT_NE(out.find("overall"), std::string::npos) << out;  // it did run, on a terminal
  EXPECT_EQ(out.find("cells,"), std::string::npos) << out;
}

// ---- rendering units -----------------------------------------------------------------------

TEST(PlotSvg, EscapesTextAndChoosesScales) {
  plot::Plot p;
  p.title = "a <b> & \"c\"";
  p.x_label = "x";
  p.y_label = "y";
  plot::Series s;
  s.name = "s<1>";
  s.points = {{1, 2, ""}, {10, 4, "m&m"}};
  s.annotate = true;
  p.series.push_back(s);
  const std::string svg = plot::render_svg(p);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("data-series=\"s&lt;1&gt;\""), std::string::npos);
  EXPECT_NE(svg.find(">m&amp;m</text>"), std::string::npos);  // the annotation
  EXPECT_EQ(plot::choose_scale(100, 800, 8, plot::Scale::log2), plot::Scale::linear);
  EXPECT_EQ(plot::choose_scale(100, 801, 8, plot::Scale::log2), plot::Scale::log2);
  EXPECT_EQ(plot::choose_scale(0, 1e9, 100, plot::Scale::log10), plot::Scale::linear);
  EXPECT_EQ(plot::choose_scale(1, 1e3, 100, plot::Scale::log10), plot::Scale::log10);
  // An empty plot is still a valid document.
  EXPECT_EQ(xml_problem(plot::render_svg(plot::Plot{})), "");
}

TEST(PlotSvg, HumanUnits) {
  EXPECT_EQ(plot::memory_time_unit(5000).name, "MB\u00b7s");
  EXPECT_EQ(plot::memory_time_unit(5e6).name, "GB\u00b7s");   // 4883 GB*s
  EXPECT_EQ(plot::memory_time_unit(1e9).name, "GB\u00b7h");   // 271 GB*h
  EXPECT_EQ(plot::memory_time_unit(5e10).name, "TB\u00b7h");  // 13.2 TB*h
  EXPECT_EQ(plot::memory_time_unit(1e9).divisor, 1024.0 * 3600);
  EXPECT_EQ(plot::format_in(1e9, plot::memory_time_unit(1e9)), "271");
  EXPECT_EQ(plot::format_in(5e10, plot::memory_time_unit(5e10)), "13.2");
  EXPECT_EQ(plot::format_in(3686400 * 2.5, plot::memory_time_unit(1e9)), "2.50");
  EXPECT_EQ(plot::format_in(3686400 * 0.0421, plot::memory_time_unit(1e9)), "0.0421");
  // A plot in GB*h: tick labels are plain numbers of that unit (no "1G MB*s"), the points keep
  // their MB*s values.
  plot::Plot p;
  p.x_unit = plot::memory_time_unit(1.2e8);
  p.x_label = "idle (" + p.x_unit.name + ")";
  plot::Series s;
  s.name = "a";
  s.points = {{3.0e7, 1, ""}, {1.2e8, 2, ""}};
  p.series.push_back(s);
  const std::string svg = plot::render_svg(p);
  EXPECT_NE(svg.find("idle (GB\u00b7h)"), std::string::npos);
  ASSERT_EQ(points_of(svg, "a").size(), 2u);
  EXPECT_EQ(points_of(svg, "a")[0].first, 3.0e7);
  static const std::regex tick("<text class=\"xtick\"[^>]*>([^<]*)</text>");
  std::vector<std::string> ticks;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator();
       ++it)
    ticks.push_back((*it)[1]);
  ASSERT_FALSE(ticks.empty());
  for (const std::string& t : ticks)
    EXPECT_EQ(t.find_first_not_of("0123456789."), std::string::npos) << t;
  EXPECT_EQ(ticks.back(), "35");  // 1.2e8 MB*s = 32.6 GB*h, the axis ends at the next 5
}

// The boxes (estimated as the renderer does: 0.56 em per character) of annotation labels.
struct TextBox {
  double x0, y0, x1, y1;
};
std::vector<TextBox> annotation_boxes(const std::string& svg) {
  static const std::regex text(
      "<text class=\"annotation\" x=\"([^\"]*)\" y=\"([^\"]*)\" font-size=\"([^\"]*)\"[^>]*>([^<]*)"
      "</text>");
  std::vector<TextBox> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text); it != std::sregex_iterator();
       ++it) {
    const double x = std::stod((*it)[1]), y = std::stod((*it)[2]), f = std::stod((*it)[3]);
    const double w = 0.56 * f * static_cast<double>((*it)[4].length());
    out.push_back({x, y - f, x + w, y + 2});
  }
  return out;
}

TEST(PlotSvg, LabelsDoNotOverlap) {
  // The memory sizes along a trade-off line whose last points nearly coincide (what printed
  // "8000 MB000 MB" before).
  plot::Plot p;
  plot::Series s;
  s.name = "rand";
  s.annotate = true;
  s.points = {{10, 60, "1000 MB"},
              {20, 30, "2000 MB"},
              {95, 1.0, "8000 MB"},
              {100, 0.9, "16000 MB"},
              {101, 0.85, "32000 MB"}};
  p.series.push_back(s);
  const std::string svg = plot::render_svg(p);
  const std::vector<TextBox> boxes = annotation_boxes(svg);
  EXPECT_GE(boxes.size(), 4u) << svg;
  for (size_t i = 0; i < boxes.size(); ++i)
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      const TextBox &a = boxes[i], &b = boxes[j];
      EXPECT_FALSE(a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1)
          << "labels " << i << " and " << j << " overlap";
    }
  // Tick labels that would touch are left out: 1000 and 1010 are 1% of the axis apart.
  plot::Plot q;
  q.x_ticks = {1000, 1010, 2000};
  plot::Series t;
  t.name = "x";
  t.points = {{1000, 1, ""}, {2000, 2, ""}};
  q.series.push_back(t);
  const std::string svg2 = plot::render_svg(q);
  EXPECT_NE(svg2.find(">1000</text>"), std::string::npos);
  EXPECT_EQ(svg2.find(">1010</text>"), std::string::npos);
  EXPECT_NE(svg2.find(">2000</text>"), std::string::npos);
}

TEST(PlotSvg, CoincidingSeriesStayVisible) {
  plot::Plot p;
  for (const char* name : {"a", "b", "c"}) {
    plot::Series s;
    s.name = name;
    s.points = {{1, 5, ""}, {2, 3, ""}};
    if (std::string(name) == "c") s.points[1].y = 4;  // c meets a and b only at x = 1
    p.series.push_back(s);
  }
  const std::string svg = plot::render_svg(p);
  EXPECT_NE(svg.find("b coincides with a."), std::string::npos) << svg;
  EXPECT_EQ(svg.find("c coincides"), std::string::npos);
  EXPECT_NE(svg.find("Markers on the same spot are spread sideways."), std::string::npos);
  // The markers at (1, 5) of a, b and c are drawn at three different x positions.
  std::set<std::string> starts;
  for (const char* name : {"a", "b", "c"}) {
    const std::string block = series_block(svg, name);
    const size_t d = block.find("class=\"pt\" d=\"M");
    ASSERT_NE(d, std::string::npos) << name;
    starts.insert(block.substr(d + 16, block.find(',', d) - d - 16));
  }
  EXPECT_EQ(starts.size(), 3u);
}

TEST(PlotSvg, LogYLeavesOutZerosAndSaysSo) {
  plot::Plot p;
  p.y_label = "cold %";
  p.y_scale = plot::Scale::log10;
  plot::Series s;
  s.name = "a";
  s.points = {{1, 50, ""}, {2, 5, ""}, {3, 0, ""}};
  p.series.push_back(s);
  const std::string svg = plot::render_svg(p);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("cold % (log scale)"), std::string::npos);
  EXPECT_NE(svg.find("1 point at or below 0 not shown on the log scale."), std::string::npos);
  EXPECT_EQ(points_of(svg, "a").size(), 2u);
  for (const char* t : {">5</text>", ">10</text>", ">50</text>"})
    EXPECT_NE(svg.find(t), std::string::npos) << t;
}

TEST(JsonRead, ParsesWhatResultsJsonUses) {
  const json::Value v = json::parse(
      R"({"a": [1, 2.5, -3e2], "s": "x\"\\\n\u00e9\ud83d\ude00", "t": true, "n": null, "o": {}})");
  ASSERT_EQ(v.at("a").items.size(), 3u);
  EXPECT_EQ(v.at("a").items[0].u64(), 1u);
  EXPECT_EQ(v.at("a").items[1].num(), 2.5);
  EXPECT_EQ(v.at("a").items[2].num(), -300);
  EXPECT_EQ(v.at("s").str(), "x\"\\\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(v.at("t").boolean);
  EXPECT_EQ(v.at("n").num(), 0);
  EXPECT_THROW(json::parse("{\"a\": 1,}"), json::ParseError);
  EXPECT_THROW(json::parse("[1] 2"), json::ParseError);
  EXPECT_THROW(v.at("missing"), json::ParseError);
}

// ---- event log -----------------------------------------------------------------------------

TEST(EventLogCli, WorkedExampleEventsExactly) {
  test::TempDir dir;
  write_native_trace(test::worked_example(), dir / "w");
  run_ok("run -q --trace " + (dir / "w").string() + " --policy lru --memory 400 --events " +
         (dir / "events.csv").string() + " --out " + (dir / "out").string());
  EXPECT_EQ(test::read_text(dir / "events.csv"),
            "time_ms,event,function,container,memory_mb,detail\n"
            "0,arrival,x,1,100,cold\n"
            "10,arrival,y,2,100,cold\n"
            "2000,evict,x,1,100,\n"
            "2000,arrival,z,3,250,cold\n"
            "3000,arrival,y,2,100,warm\n"
            "4000,evict,z,3,250,\n"
            "4000,arrival,x,4,100,cold\n");
  EXPECT_TRUE(fs::exists(dir / "out/results.csv"));
}

// faascache compat mode logs what the reference does: one arrival row per invocation with its
// outcome, one row per removed container. The worked example of docs/model.md: the eviction at
// 2000 takes x and y (their memory alone must cover z's 250 MB), so y is cold at 3000.
TEST(EventLogCli, WorkedExampleEventsInFaasCacheCompatMode) {
  test::TempDir dir;
  write_native_trace(test::worked_example(), dir / "w");
  run_ok("run -q --trace " + (dir / "w").string() +
         " --policy lru --memory 400 --compat faascache --events " + (dir / "events.csv").string() +
         " --out " + (dir / "out").string());
  EXPECT_EQ(test::read_text(dir / "events.csv"),
            "time_ms,event,function,container,memory_mb,detail\n"
            "0,arrival,x,1,100,cold\n"
            "10,arrival,y,2,100,cold\n"
            "2000,evict,x,1,100,\n"
            "2000,evict,y,2,100,\n"
            "2000,arrival,z,3,250,cold\n"
            "3000,arrival,y,4,100,cold\n"
            "4000,evict,z,3,250,\n"
            "4000,arrival,x,5,100,cold\n");
}

// faascache-course mode: cold starts cost 3000 ms + 0.2 x the cold time unless given.
TEST(EventLogCli, CourseModeDefaultsToTheCourseOverheads) {
  test::TempDir dir;
  write_native_trace(test::worked_example(), dir / "w");
  run_ok("run -q --trace " + (dir / "w").string() +
         " --policy rand --memory 400 --seeds 1,2 --compat faascache-course --out " +
         (dir / "a").string());
  const std::string a = test::read_text(dir / "a/results.json");
  EXPECT_NE(a.find("\"compat\": \"faascache-course\""), std::string::npos) << a;
  EXPECT_NE(a.find("\"overhead_ms\": 3000, \"overhead_pct\": 0.2"), std::string::npos) << a;
  run_ok("run -q --trace " + (dir / "w").string() +
         " --policy rand --memory 400 --compat faascache-course --overhead-ms 0 --out " +
         (dir / "b").string());
  const std::string b = test::read_text(dir / "b/results.json");
  EXPECT_NE(b.find("\"overhead_ms\": 0, \"overhead_pct\": 0.2"), std::string::npos) << b;
}

TEST(EventLogCli, RefusedForMoreThanOneCell) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 5, 50);
  auto r = test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                              " --policy lru --memory 100,200 --events " +
                              (dir / "e.csv").string() + " --out " + (dir / "o").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--events logs a single cell, but this grid has 2 cells"),
            std::string::npos)
      << r.output;
  r = test::run_keepwarm("run -q --trace " + (dir / "t").string() +
                         " --policy rand --memory 100 --seeds 3 --events " +
                         (dir / "e.csv").string() + " --out " + (dir / "o").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("this grid has 3 cells"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "e.csv"));
  EXPECT_FALSE(fs::exists(dir / "o"));
}

// A policy with a 500 ms keep-alive that, on each arrival of x, asks for a prewarm of y 150 ms
// later, and evicts the longest-idle container.
class KeepalivePrewarm final : public Policy {
 public:
  static constexpr const char* kName = "keepalive-prewarm";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "test policy for the event log";
  using Policy::Policy;
  void on_arrival(kw_function_id fn) override {
    if (fn == 0) host().request_prewarm(1, host().now() + 150);
  }
  void on_container_started(kw_container_id c, kw_function_id, kw_start_kind) override {
    std::erase(idle_, c);
  }
  void on_container_idle(kw_container_id c, kw_function_id) override {
    idle_.push_back(c);
    host().set_keepalive(c, host().now() + 500);
  }
  kw_container_id choose_victim(kw_function_id) override {
    return idle_.empty() ? KW_NO_CONTAINER : idle_.front();
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    std::erase(idle_, c);
  }

 private:
  std::vector<kw_container_id> idle_;
};

TEST(EventLog, ExpiriesPrewarmsDropsAndEvictions) {
  const Trace trace =
      test::make_trace({{"x", 100, 100, 10}, {"y", 100, 100, 10}, {"z", 100, 100, 10}},
                       {{0, "x"}, {700, "y"}, {750, "x"}, {760, "y"}, {1000, "x"}, {1100, "z"}});
  static PluginPtr plugin = Plugin::from_descriptor(descriptor_for<KeepalivePrewarm>(), "test");
  SimConfig config;
  config.memory_mb = 200;
  std::ostringstream out;
  out << EventLog::header();
  EventLog log(trace, out);
  const CellResult r = simulate(trace, plugin, config, nullptr, &log);
  EXPECT_EQ(out.str(),
            "time_ms,event,function,container,memory_mb,detail\n"
            "0,arrival,x,1,100,cold\n"
            "150,prewarm,y,2,100,created\n"
            "600,expire,x,1,100,\n"
            "650,expire,y,2,100,\n"
            "700,arrival,y,3,100,cold\n"
            "750,arrival,x,4,100,cold\n"
            "760,arrival,y,,100,dropped\n"
            "900,prewarm,y,,100,no-memory\n"
            "1000,arrival,x,4,100,warm\n"
            "1100,evict,y,3,100,\n"
            "1100,arrival,z,5,100,cold\n");
  EXPECT_EQ(r.metrics.expirations, 2u);
  EXPECT_EQ(r.metrics.evictions, 1u);
  EXPECT_EQ(r.metrics.dropped, 1u);
  EXPECT_EQ(r.metrics.prewarms, 1u);
  // The same cell without an observer gives the same numbers.
  const CellResult plain = simulate(trace, plugin, config);
  EXPECT_EQ(plain.metrics.cold, r.metrics.cold);
  EXPECT_EQ(plain.metrics.idle_mb_s, r.metrics.idle_mb_s);
}

}  // namespace
