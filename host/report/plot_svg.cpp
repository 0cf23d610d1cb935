// plot_svg.cpp: see plot_svg.hpp.
#include "keepwarm/report/plot_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <sstream>

#include "keepwarm/util/io.hpp"

namespace keepwarm::plot {

namespace {

// Layout, in SVG user units (px at 100%). The plot area is fixed; the legend and the note
// below it add rows as needed.
constexpr double kWidth = 720;
constexpr double kLeft = 84, kRight = 22, kTop = 14, kPlotH = 330;
constexpr double kPlotW = kWidth - kLeft - kRight;
constexpr double kTickFont = 14, kLabelFont = 15, kLegendFont = 14, kNoteFont = 12.5,
                 kAnnotFont = 11.5;
constexpr double kLegendRow = 23;
constexpr double kMarkerR = 4.6;

std::string fmt(double v) {  // coordinates: two decimals are plenty
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  if (s == "-0.00") s = "0.00";
  return s;
}

// Characters (not bytes) of UTF-8 text.
size_t chars(const std::string& s) {
  size_t n = 0;
  for (const unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
// Estimated width of text in a sans-serif font of the given size.
double text_width(const std::string& s, double font) {
  return 0.56 * font * static_cast<double>(chars(s));
}

// Tick labels: up to 4 significant digits, thousands grouped with a thin space removed (plain
// digits below 100,000), large values with k / M suffixes.
std::string tick_label(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a < 1e-12) return "0";
  if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  } else if (a >= 1e5) {
    std::snprintf(buf, sizeof buf, "%.4gk", v / 1e3);
  } else if (v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

struct Axis {
  Scale scale = Scale::linear;
  double lo = 0, hi = 1;  // domain, in display units
  std::vector<double> ticks;

  double t(double v) const {  // 0..1 along the axis
    if (scale == Scale::linear) return (v - lo) / (hi - lo);
    return (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo));
  }
  bool shows(double v) const { return t(v) >= -1e-9 && t(v) <= 1 + 1e-9; }
};

double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

Axis make_axis(Scale scale, double lo, double hi, bool with_zero,
               const std::vector<double>& fixed) {
  Axis a;
  a.scale = scale;
  if (!(lo <= hi)) lo = hi = scale == Scale::linear ? 0 : 1;  // no finite data
  if (scale == Scale::linear) {
    if (with_zero) {
      lo = std::min(lo, 0.0);
      hi = std::max(hi, 0.0);
    }
    if (hi == lo) hi = lo + (lo == 0 ? 1 : std::fabs(lo));
    const double step = nice_step(hi - lo, 6);
    if (fixed.empty()) {
      a.lo = std::floor(lo / step + 1e-9) * step;
      a.hi = std::ceil(hi / step - 1e-9) * step;
      for (double v = a.lo; v <= a.hi + step / 2; v += step)
        a.ticks.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
    } else {
      const double pad = (hi - lo) * 0.05;
      a.lo = lo - pad;
      a.hi = hi + pad;
    }
  } else if (!fixed.empty()) {
    // Explicit ticks: a margin of a fifth of a doubling (log2) or decade (log10) around them.
    const double base = scale == Scale::log2 ? 2.0 : 10.0;
    a.lo = lo / std::pow(base, 0.2);
    a.hi = hi * std::pow(base, 0.2);
  } else if (scale == Scale::log2) {
    const double l = std::floor(std::log2(lo) + 1e-9), h = std::ceil(std::log2(hi) - 1e-9);
    a.lo = std::exp2(l);
    a.hi = std::exp2(std::max(h, l + 1));
    for (double e = l; e <= std::max(h, l + 1) + 1e-9; e += 1) a.ticks.push_back(std::exp2(e));
  } else {
    // log10: 1-2-5 ticks over at most two decades, decades beyond.
    const double l = std::floor(std::log10(lo) + 1e-9), h = std::ceil(std::log10(hi) - 1e-9);
    const bool fine = h - l <= 3;
    std::vector<double> cand;
    for (double e = l; e <= h + 1e-9; e += 1)
      for (const double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1})
        cand.push_back(m * std::pow(10.0, e));
    if (fine) cand.push_back(std::pow(10.0, h + 1));
    a.lo = cand.front();
    a.hi = cand.back();
    for (const double c : cand) {
      if (c <= lo * (1 + 1e-9)) a.lo = c;
    }
    for (auto it = cand.rbegin(); it != cand.rend(); ++it)
      if (*it >= hi * (1 - 1e-9)) a.hi = *it;
    if (a.hi <= a.lo) a.hi = a.lo * 10;
    for (const double c : cand)
      if (c >= a.lo * (1 - 1e-9) && c <= a.hi * (1 + 1e-9)) a.ticks.push_back(c);
  }
  if (!fixed.empty()) a.ticks = fixed;
  return a;
}

const char* marker_name(Marker m) {
  switch (m) {
    case Marker::circle:
      return "circle";
    case Marker::square:
      return "square";
    case Marker::triangle:
      return "triangle";
    case Marker::diamond:
      return "diamond";
    case Marker::triangle_down:
      return "triangle-down";
    case Marker::plus:
      return "plus";
    case Marker::cross:
      return "cross";
    case Marker::star:
      return "star";
    case Marker::pentagon:
      return "pentagon";
  }
  return "circle";
}

// The outline of a marker centred on (x, y), as path data.
std::string marker_path(Marker m, double x, double y, double r) {
  std::ostringstream d;
  auto poly = [&](const std::vector<std::pair<double, double>>& pts) {
    for (size_t i = 0; i < pts.size(); ++i)
      d << (i ? "L" : "M") << fmt(x + pts[i].first) << ',' << fmt(y + pts[i].second);
    d << 'Z';
  };
  switch (m) {
    case Marker::circle:
      d << 'M' << fmt(x - r) << ',' << fmt(y) << "a" << fmt(r) << ',' << fmt(r) << " 0 1,0 "
        << fmt(2 * r) << ",0a" << fmt(r) << ',' << fmt(r) << " 0 1,0 " << fmt(-2 * r) << ",0Z";
      break;
    case Marker::square: {
      const double s = r * 0.9;
      poly({{-s, -s}, {s, -s}, {s, s}, {-s, s}});
      break;
    }
    case Marker::triangle:
      poly({{0, -1.2 * r}, {1.1 * r, 0.8 * r}, {-1.1 * r, 0.8 * r}});
      break;
    case Marker::triangle_down:
      poly({{0, 1.2 * r}, {1.1 * r, -0.8 * r}, {-1.1 * r, -0.8 * r}});
      break;
    case Marker::diamond:
      poly({{0, -1.25 * r}, {1.0 * r, 0}, {0, 1.25 * r}, {-1.0 * r, 0}});
      break;
    case Marker::plus: {
      const double a = 1.2 * r, b = 0.38 * r;
      poly({{-b, -a},
            {b, -a},
            {b, -b},
            {a, -b},
            {a, b},
            {b, b},
            {b, a},
            {-b, a},
            {-b, b},
            {-a, b},
            {-a, -b},
            {-b, -b}});
      break;
    }
    case Marker::cross: {
      // The plus turned by 45 degrees.
      const double a = 1.2 * r, b = 0.38 * r, c = std::sqrt(0.5);
      const std::vector<std::pair<double, double>> p{{-b, -a}, {b, -a}, {b, -b},  {a, -b},
                                                     {a, b},   {b, b},  {b, a},   {-b, a},
                                                     {-b, b},  {-a, b}, {-a, -b}, {-b, -b}};
      std::vector<std::pair<double, double>> q;
      for (const auto& [u, v] : p) q.emplace_back(c * (u - v), c * (u + v));
      poly(q);
      break;
    }
    case Marker::pentagon: {
      std::vector<std::pair<double, double>> p;
      for (int i = 0; i < 5; ++i) {
        const double ang = -std::numbers::pi / 2 + i * 2 * std::numbers::pi / 5;
        p.emplace_back(1.15 * r * std::cos(ang), 1.15 * r * std::sin(ang));
      }
      poly(p);
      break;
    }
    case Marker::star: {
      std::vector<std::pair<double, double>> p;
      for (int i = 0; i < 10; ++i) {
        const double ang = -std::numbers::pi / 2 + i * std::numbers::pi / 5,
                     rr = (i % 2 ? 0.5 : 1.35) * r;
        p.emplace_back(rr * std::cos(ang), rr * std::sin(ang));
      }
      poly(p);
      break;
    }
  }
  return d.str();
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

// Splits text into lines of at most width px.
std::vector<std::string> wrap(const std::string& text, double width, double font) {
  std::vector<std::string> lines;
  std::string line, word;
  std::istringstream in(text);
  while (in >> word) {
    const std::string next = line.empty() ? word : line + " " + word;
    if (!line.empty() && text_width(next, font) > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

Unit memory_time_unit(double max_mb_s) {
  const Unit units[] = {{"MB\u00b7s", 1},
                        {"GB\u00b7s", 1024},
                        {"GB\u00b7h", 1024.0 * 3600},
                        {"TB\u00b7h", 1024.0 * 1024 * 3600}};
  for (const Unit& u : units)
    if (std::fabs(max_mb_s) / u.divisor < 1e4) return u;
  return units[3];
}

std::string format_in(double value, const Unit& unit) {
  const double v = value / unit.divisor, a = std::fabs(v);
  char buf[48];
  if (a >= 100 || a == 0)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 10)
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 1)
    std::snprintf(buf, sizeof buf, "%.2f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

Style style(size_t i) {
  // Okabe & Ito (2008) without black (the baseline's): blue, vermillion, bluish green, reddish
  // purple, orange, sky blue, a darkened yellow that stays visible on white; then grey.
  static const char* const colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                        "#E69F00", "#56B4E9", "#B8A300", "#6E6E6E"};
  static const Marker markers[] = {Marker::square,        Marker::triangle, Marker::diamond,
                                   Marker::triangle_down, Marker::circle,   Marker::plus,
                                   Marker::cross,         Marker::star,     Marker::pentagon};
  static const char* const dashes[] = {"", "9 3", "2 2.5", "10 3 2 3", "5 2 1.5 2 1.5 2"};
  Style s;
  s.color = colours[i % 8];
  s.marker = markers[i % 9];
  s.dash = dashes[i % 5];
  return s;
}

Style baseline_style() {
  Style s;
  s.color = "#000000";
  s.dash = "6 4";
  s.marker = Marker::circle;
  return s;
}

Scale choose_scale(double lo, double hi, double ratio, Scale log_kind) {
  if (lo > 0 && std::isfinite(lo) && std::isfinite(hi) && hi / lo > ratio) return log_kind;
  return Scale::linear;
}

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string render_svg(const Plot& p) {
  const double xdiv = p.x_unit.divisor > 0 ? p.x_unit.divisor : 1;
  const double ydiv = p.y_unit.divisor > 0 ? p.y_unit.divisor : 1;
  // Drawable: finite and, on a log axis, positive (in display units).
  auto ok_x = [&](double v) { return std::isfinite(v) && (p.x_scale == Scale::linear || v > 0); };
  auto ok_y = [&](double v) { return std::isfinite(v) && (p.y_scale == Scale::linear || v > 0); };

  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  size_t hidden = 0;
  for (const Series& s : p.series)
    for (const Point& pt : s.points) {
      const double x = pt.x / xdiv, y = pt.y / ydiv;
      if (!ok_x(x) || !ok_y(y)) {
        hidden += std::isfinite(pt.x) && std::isfinite(pt.y);
        continue;
      }
      xlo = std::min(xlo, x);
      xhi = std::max(xhi, x);
      ylo = std::min(ylo, y);
      yhi = std::max(yhi, y);
      for (const double e : {pt.y_lo / ydiv, pt.y_hi / ydiv})
        if (ok_y(e)) {
          ylo = std::min(ylo, e);
          yhi = std::max(yhi, e);
        }
      for (const double e : {pt.x_lo / xdiv, pt.x_hi / xdiv})
        if (ok_x(e)) {
          xlo = std::min(xlo, e);
          xhi = std::max(xhi, e);
        }
    }
  std::vector<double> x_ticks;
  for (const double t : p.x_ticks) x_ticks.push_back(t / xdiv);
  const Axis x = make_axis(p.x_scale, xlo, xhi, false, x_ticks);
  const Axis y = make_axis(p.y_scale, ylo, yhi, /*with_zero=*/true, {});
  auto px = [&](double v) { return kLeft + x.t(v) * kPlotW; };
  auto py = [&](double v) { return kTop + (1 - y.t(v)) * kPlotH; };
  const double bottom = kTop + kPlotH;

  // Markers on the same spot (within 2.5 px): spread sideways, centred on the true position.
  struct Mark {
    size_t series, point;
    double x, y, offset = 0;
  };
  std::vector<Mark> marks;
  std::vector<std::vector<size_t>> clusters;
  for (size_t si = 0; si < p.series.size(); ++si)
    for (size_t pi = 0; pi < p.series[si].points.size(); ++pi) {
      const Point& pt = p.series[si].points[pi];
      if (!ok_x(pt.x / xdiv) || !ok_y(pt.y / ydiv)) continue;
      marks.push_back({si, pi, px(pt.x / xdiv), py(pt.y / ydiv)});
      const Mark& m = marks.back();
      bool joined = false;
      for (auto& c : clusters) {
        const Mark& a = marks[c.front()];
        if (std::fabs(a.x - m.x) < 2.5 && std::fabs(a.y - m.y) < 2.5) {
          c.push_back(marks.size() - 1);
          joined = true;
          break;
        }
      }
      if (!joined) clusters.push_back({marks.size() - 1});
    }
  bool spread = false;
  for (const auto& c : clusters) {
    if (c.size() < 2) continue;
    spread = true;
    const double step = std::min(2.2 * kMarkerR, 48.0 / static_cast<double>(c.size() - 1));
    // Centred on the true position, but kept inside the frame.
    const double half = step * static_cast<double>(c.size() - 1) / 2, at = marks[c.front()].x;
    const double shift =
        std::clamp(at, kLeft + half + kMarkerR, kLeft + kPlotW - half - kMarkerR) - at;
    for (size_t k = 0; k < c.size(); ++k)
      marks[c[k]].offset =
          shift + (static_cast<double>(k) - static_cast<double>(c.size() - 1) / 2) * step;
  }
  // Series that coincide entirely with an earlier one.
  std::vector<std::pair<size_t, std::vector<size_t>>> same;  // leader, followers
  {
    std::vector<std::vector<std::pair<double, double>>> drawn(p.series.size());
    for (const Mark& m : marks) drawn[m.series].emplace_back(m.x, m.y);
    std::vector<bool> taken(p.series.size(), false);
    for (size_t a = 0; a < p.series.size(); ++a) {
      if (taken[a] || drawn[a].empty()) continue;
      std::vector<size_t> followers;
      for (size_t b = a + 1; b < p.series.size(); ++b) {
        if (taken[b] || drawn[b].size() != drawn[a].size()) continue;
        bool eq = true;
        for (size_t i = 0; i < drawn[a].size() && eq; ++i)
          eq = std::fabs(drawn[a][i].first - drawn[b][i].first) < 0.5 &&
               std::fabs(drawn[a][i].second - drawn[b][i].second) < 0.5;
        if (eq) {
          followers.push_back(b);
          taken[b] = true;
        }
      }
      if (!followers.empty()) same.emplace_back(a, followers);
    }
  }

  // The legend: as many columns as fit, under the axis label.
  double item_w = 0;
  for (const Series& s : p.series)
    item_w = std::max(item_w, 44 + text_width(s.name, kLegendFont) + 20);
  const size_t cols =
      p.series.empty()
          ? 1
          : std::clamp<size_t>(static_cast<size_t>((kWidth - 24) / std::max(item_w, 1.0)), 1,
                               std::min<size_t>(4, p.series.size()));
  const size_t rows = (p.series.size() + cols - 1) / cols;
  const double legend_top = bottom + 66;
  std::string note = p.note;
  for (const auto& [leader, followers] : same) {
    std::string names;
    for (size_t i = 0; i < followers.size(); ++i)
      names += (i == 0                      ? ""
                : i + 1 == followers.size() ? " and "
                                            : ", ") +
               p.series[followers[i]].name;
    note += (note.empty() ? "" : " ") + names +
            (followers.size() > 1 ? " coincide" : " coincides") + " with " + p.series[leader].name +
            ".";
  }
  if (spread)
    note +=
        (note.empty() ? "" : " ") + std::string("Markers on the same spot are spread sideways.");
  if (hidden > 0)
    note += (note.empty() ? "" : " ") + std::to_string(hidden) +
            (hidden == 1 ? " point" : " points") + " at or below 0 not shown on the log scale.";
  const std::vector<std::string> note_lines = wrap(note, kWidth - 32, kNoteFont);
  const double height = legend_top + static_cast<double>(rows) * kLegendRow +
                        static_cast<double>(note_lines.size()) * 17 + 10;

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\""
    << fmt(height) << "\" viewBox=\"0 0 " << kWidth << ' ' << fmt(height)
    << "\" font-family=\"'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\" font-size=\""
    << kTickFont << "\" role=\"img\">\n";
  o << "<title>" << escape(p.title) << "</title>\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << kWidth << "\" height=\"" << fmt(height)
    << "\" fill=\"#ffffff\"/>\n";

  // Grid, frame, ticks.
  o << "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double v : x.ticks)
    if (x.shows(v))
      o << "<line x1=\"" << fmt(px(v)) << "\" y1=\"" << fmt(kTop) << "\" x2=\"" << fmt(px(v))
        << "\" y2=\"" << fmt(bottom) << "\"/>\n";
  for (double v : y.ticks)
    if (y.shows(v))
      o << "<line x1=\"" << fmt(kLeft) << "\" y1=\"" << fmt(py(v)) << "\" x2=\""
        << fmt(kLeft + kPlotW) << "\" y2=\"" << fmt(py(v)) << "\"/>\n";
  o << "</g>\n";
  const double ref = p.y_reference / ydiv;
  if (ok_y(ref) && y.shows(ref))
    o << "<line class=\"reference\" x1=\"" << fmt(kLeft) << "\" y1=\"" << fmt(py(ref)) << "\" x2=\""
      << fmt(kLeft + kPlotW) << "\" y2=\"" << fmt(py(ref))
      << "\" stroke=\"#666666\" stroke-width=\"1.2\"/>\n";
  o << "<rect x=\"" << fmt(kLeft) << "\" y=\"" << fmt(kTop) << "\" width=\"" << fmt(kPlotW)
    << "\" height=\"" << fmt(kPlotH) << "\" fill=\"none\" stroke=\"#333333\"/>\n";
  o << "<g class=\"ticks\" fill=\"#222222\">\n";
  {
    // x tick labels left to right, leaving out any that would touch the one before.
    double last_right = -1e9;
    for (double v : x.ticks) {
      if (!x.shows(v)) continue;
      const std::string label = tick_label(v);
      const double w = text_width(label, kTickFont), cx = px(v);
      if (cx - w / 2 < last_right + 8) continue;
      last_right = cx + w / 2;
      o << "<text class=\"xtick\" x=\"" << fmt(cx) << "\" y=\"" << fmt(bottom + 20)
        << "\" text-anchor=\"middle\">" << escape(label) << "</text>\n";
    }
    double last_top = 1e9;
    for (double v : y.ticks) {
      if (!y.shows(v)) continue;
      const double cy = py(v);
      if (cy + kTickFont / 2 > last_top - 4) continue;
      last_top = cy - kTickFont / 2;
      o << "<text class=\"ytick\" x=\"" << fmt(kLeft - 7) << "\" y=\"" << fmt(cy + 5)
        << "\" text-anchor=\"end\">" << escape(tick_label(v)) << "</text>\n";
    }
  }
  o << "</g>\n";
  auto scale_note = [](Scale s) {
    return s == Scale::log2 ? " (log\u2082 scale)" : s == Scale::log10 ? " (log scale)" : "";
  };
  o << "<text class=\"xlabel\" x=\"" << fmt(kLeft + kPlotW / 2) << "\" y=\"" << fmt(bottom + 46)
    << "\" text-anchor=\"middle\" font-size=\"" << kLabelFont << "\">"
    << escape(p.x_label + scale_note(x.scale)) << "</text>\n";
  {
    // A long y label gets a smaller font rather than running off the frame's height.
    const std::string label = p.y_label + scale_note(y.scale);
    const double font = std::min(kLabelFont, (kPlotH + kTop) / std::max(1.0, text_width(label, 1)));
    o << "<text class=\"ylabel\" x=\"20\" y=\"" << fmt(kTop + kPlotH / 2)
      << "\" text-anchor=\"middle\" font-size=\"" << fmt(font) << "\" transform=\"rotate(-90 20 "
      << fmt(kTop + kPlotH / 2) << ")\">" << escape(label) << "</text>\n";
  }

  // Series: the line, error bars, then the markers with their data.
  std::vector<Box> placed;  // annotation boxes
  std::vector<Box> marker_boxes;
  for (const Mark& m : marks)
    marker_boxes.push_back(
        {m.x + m.offset - kMarkerR, m.y - kMarkerR, m.x + m.offset + kMarkerR, m.y + kMarkerR});
  for (size_t si = 0; si < p.series.size(); ++si) {
    const Series& s = p.series[si];
    const Style& st = s.style;
    o << "<g class=\"series\" data-series=\"" << escape(s.name) << "\" data-color=\"" << st.color
      << "\" data-marker=\"" << marker_name(st.marker) << "\" data-dash=\""
      << (st.dash.empty() ? "solid" : st.dash) << "\">\n";
    std::string pts;
    for (const Mark& m : marks)
      if (m.series == si) pts += (pts.empty() ? "" : " ") + fmt(m.x + m.offset) + "," + fmt(m.y);
    if (!pts.empty())
      o << "<polyline fill=\"none\" stroke=\"" << st.color
        << "\" stroke-width=\"2\" stroke-linejoin=\"round\""
        << (st.dash.empty() ? "" : " stroke-dasharray=\"" + st.dash + "\"") << " points=\"" << pts
        << "\"/>\n";
    for (const Mark& m : marks) {
      if (m.series != si) continue;
      const Point& pt = s.points[m.point];
      const double cx = m.x + m.offset;
      const double lo = pt.y_lo / ydiv, hi = pt.y_hi / ydiv;
      if (ok_y(lo) && ok_y(hi) && lo < hi) {
        const double y0 = py(lo), y1 = py(hi);
        o << "<path class=\"errorbar\" d=\"M" << fmt(cx) << ',' << fmt(y0) << "V" << fmt(y1) << "M"
          << fmt(cx - 4) << ',' << fmt(y0) << "H" << fmt(cx + 4) << "M" << fmt(cx - 4) << ','
          << fmt(y1) << "H" << fmt(cx + 4) << "\" stroke=\"" << st.color
          << "\" stroke-width=\"1.4\" fill=\"none\"/>\n";
      }
      const double xl = pt.x_lo / xdiv, xh = pt.x_hi / xdiv;
      if (ok_x(xl) && ok_x(xh) && xl < xh) {
        const double x0 = px(xl), x1 = px(xh);
        o << "<path class=\"errorbar\" d=\"M" << fmt(x0) << ',' << fmt(m.y) << "H" << fmt(x1) << "M"
          << fmt(x0) << ',' << fmt(m.y - 4) << "V" << fmt(m.y + 4) << "M" << fmt(x1) << ','
          << fmt(m.y - 4) << "V" << fmt(m.y + 4) << "\" stroke=\"" << st.color
          << "\" stroke-width=\"1.4\" fill=\"none\"/>\n";
      }
    }
    for (const Mark& m : marks) {
      if (m.series != si) continue;
      const Point& pt = s.points[m.point];
      o << "<path class=\"pt\" d=\"" << marker_path(st.marker, m.x + m.offset, m.y, kMarkerR)
        << "\" fill=\"" << (s.hollow ? "#ffffff" : st.color) << "\" stroke=\""
        << (s.hollow ? st.color : "#ffffff") << "\" stroke-width=\"" << (s.hollow ? "1.6" : "0.8")
        << "\" data-x=\"" << format_number(pt.x) << "\" data-y=\"" << format_number(pt.y) << "\"";
      if (std::isfinite(pt.y_lo) && std::isfinite(pt.y_hi))
        o << " data-y-lo=\"" << format_number(pt.y_lo) << "\" data-y-hi=\""
          << format_number(pt.y_hi) << "\"";
      o << "><title>"
        << escape(s.name + ": " + (pt.label.empty() ? "" : pt.label + ", ") +
                  "x=" + format_number(pt.x) + ", y=" + format_number(pt.y))
        << "</title></path>\n";
    }
    if (s.annotate) {
      for (const Mark& m : marks) {
        if (m.series != si || s.points[m.point].label.empty()) continue;
        const Point& pt = s.points[m.point];
        const double w = text_width(pt.label, kAnnotFont), h = kAnnotFont;
        const double cx = m.x + m.offset;
        struct Cand {
          double dx, dy;  // text anchor point relative to the marker; the text starts there
        };
        const Cand cands[] = {{8, -7},         {8, 7 + h},          {-8 - w, -7},
                              {-8 - w, 7 + h}, {-w / 2, -10},       {-w / 2, 12 + h},
                              {10, h / 2 - 1}, {-10 - w, h / 2 - 1}};
        bool done = false;
        for (int pass = 0; pass < 2 && !done; ++pass) {
          for (const Cand& c : cands) {
            const Box b{cx + c.dx - 1, m.y + c.dy - h, cx + c.dx + w + 1, m.y + c.dy + 3};
            if (b.x0 < kLeft + 1 || b.x1 > kLeft + kPlotW - 1 || b.y0 < kTop + 1 ||
                b.y1 > bottom - 1)
              continue;
            bool clash = false;
            for (const Box& q : placed) clash = clash || b.overlaps(q);
            if (pass == 0)
              for (const Box& q : marker_boxes) clash = clash || b.overlaps(q);
            if (clash) continue;
            placed.push_back(b);
            o << "<text class=\"annotation\" x=\"" << fmt(cx + c.dx) << "\" y=\"" << fmt(m.y + c.dy)
              << "\" font-size=\"" << kAnnotFont
              << "\" fill=\"#333333\" stroke=\"#ffffff\" stroke-width=\"3\" "
                 "stroke-linejoin=\"round\" paint-order=\"stroke\">"
              << escape(pt.label) << "</text>\n";
            done = true;
            break;
          }
        }
      }
    }
    o << "</g>\n";
  }

  // Legend.
  const double col_w = (kWidth - 24) / static_cast<double>(cols);
  const double legend_left =
      12 + std::max(0.0, (kWidth - 24 - col_w * static_cast<double>(cols)) / 2);
  o << "<g class=\"legend\" font-size=\"" << kLegendFont << "\">\n";
  for (size_t i = 0; i < p.series.size(); ++i) {
    const Series& s = p.series[i];
    const double lx = legend_left + col_w * static_cast<double>(i % cols) + 8;
    const double ly = legend_top + kLegendRow * static_cast<double>(i / cols);
    o << "<line x1=\"" << fmt(lx) << "\" y1=\"" << fmt(ly) << "\" x2=\"" << fmt(lx + 34)
      << "\" y2=\"" << fmt(ly) << "\" stroke=\"" << s.style.color << "\" stroke-width=\"2\""
      << (s.style.dash.empty() ? "" : " stroke-dasharray=\"" + s.style.dash + "\"") << "/>\n";
    o << "<path d=\"" << marker_path(s.style.marker, lx + 17, ly, kMarkerR) << "\" fill=\""
      << (s.hollow ? "#ffffff" : s.style.color) << "\" stroke=\""
      << (s.hollow ? s.style.color : "#ffffff") << "\" stroke-width=\""
      << (s.hollow ? "1.6" : "0.8") << "\"/>\n";
    o << "<text x=\"" << fmt(lx + 42) << "\" y=\"" << fmt(ly + 5) << "\">" << escape(s.name)
      << "</text>\n";
  }
  o << "</g>\n";
  if (!note_lines.empty()) {
    o << "<g class=\"note\" font-size=\"" << kNoteFont << "\" fill=\"#444444\">\n";
    const double ny = legend_top + static_cast<double>(rows) * kLegendRow + 8;
    for (size_t i = 0; i < note_lines.size(); ++i)
      o << "<text x=\"16\" y=\"" << fmt(ny + 17 * static_cast<double>(i)) << "\">"
        << escape(note_lines[i]) << "</text>\n";
    o << "</g>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace keepwarm::plot
