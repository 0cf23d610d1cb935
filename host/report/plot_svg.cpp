// plot_svg.cpp: see plot_svg.hpp.
#include "keepwarm/report/plot_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "keepwarm/util/io.hpp"

namespace keepwarm::plot {

namespace {

constexpr double kWidth = 760, kHeight = 420;
constexpr double kLeft = 78, kRight = 220, kTop = 42, kBottom = 62;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string fmt(double v) {  // coordinates: two decimals are plenty
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Tick labels: integers as they are below a million, otherwise 3 significant digits with an
// SI suffix (k, M, G) or plain %g for small fractions.
std::string tick_label(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (v == std::floor(v) && a < 1e6) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

struct Axis {
  Scale scale = Scale::linear;
  double lo = 0, hi = 1;  // domain, in data units
  std::vector<double> ticks;

  double t(double v) const {  // 0..1 along the axis
    if (scale == Scale::linear) return (v - lo) / (hi - lo);
    const double base = scale == Scale::log2 ? 2.0 : 10.0;
    const double l = std::log(lo) / std::log(base), h = std::log(hi) / std::log(base);
    return (std::log(v) / std::log(base) - l) / (h - l);
  }
};

double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

Axis make_axis(Scale scale, double lo, double hi, bool from_zero,
               const std::vector<double>& fixed) {
  Axis a;
  a.scale = scale;
  if (!(lo <= hi)) lo = hi = 0;  // no finite data
  if (scale == Scale::linear) {
    if (from_zero) lo = std::min(lo, 0.0);
    if (hi == lo) hi = lo + (lo == 0 ? 1 : std::fabs(lo));
    const double step = nice_step(hi - lo, 5);
    if (fixed.empty()) {
      a.lo = std::floor(lo / step) * step;
      a.hi = std::ceil(hi / step) * step;
      for (double v = a.lo; v <= a.hi + step / 2; v += step)
        a.ticks.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
    } else {
      const double pad = (hi - lo) * 0.05;
      a.lo = lo - pad;
      a.hi = hi + pad;
    }
  } else {
    const double base = scale == Scale::log2 ? 2.0 : 10.0;
    const double l = std::floor(std::log(lo) / std::log(base) + 1e-9);
    const double h = std::ceil(std::log(hi) / std::log(base) - 1e-9);
    if (fixed.empty()) {
      a.lo = std::pow(base, l);
      a.hi = std::pow(base, std::max(h, l + 1));
      for (double e = l; e <= std::max(h, l + 1) + 1e-9; e += 1)
        a.ticks.push_back(std::pow(base, e));
    } else {
      // Explicit ticks: a little margin (a fifth of a step of the base) around the data.
      a.lo = lo / std::pow(base, 0.2);
      a.hi = hi * std::pow(base, 0.2);
    }
  }
  if (!fixed.empty()) a.ticks = fixed;
  return a;
}

}  // namespace

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

std::string palette(size_t i) {
  static const char* const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                        "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
  return colours[i % (sizeof colours / sizeof colours[0])];
}

std::string render_svg(const Plot& p) {
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const Series& s : p.series)
    for (const Point& pt : s.points) {
      if (!std::isfinite(pt.x) || !std::isfinite(pt.y)) continue;
      xlo = std::min(xlo, pt.x);
      xhi = std::max(xhi, pt.x);
      ylo = std::min(ylo, pt.y);
      yhi = std::max(yhi, pt.y);
    }
  // A log axis needs positive data; fall back to linear otherwise.
  const Scale xs = p.x_scale != Scale::linear && !(xlo > 0) ? Scale::linear : p.x_scale;
  const Axis x = make_axis(xs, xlo, xhi, false, p.x_ticks);
  const Axis y = make_axis(Scale::linear, ylo, yhi, /*from_zero=*/true, {});
  auto px = [&](double v) { return kLeft + x.t(v) * kPlotW; };
  auto py = [&](double v) { return kTop + (1 - y.t(v)) * kPlotH; };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
    << "\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n";
  o << "<title>" << escape(p.title) << "</title>\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" fill=\"#ffffff\"/>\n";
  o << "<text x=\"" << fmt(kLeft + kPlotW / 2)
    << "\" y=\"24\" text-anchor=\"middle\" "
       "font-size=\"15\" font-weight=\"bold\">"
    << escape(p.title) << "</text>\n";

  // Grid and ticks.
  o << "<g class=\"axes\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (double v : x.ticks)
    if (x.t(v) >= -1e-9 && x.t(v) <= 1 + 1e-9)
      o << "<line x1=\"" << fmt(px(v)) << "\" y1=\"" << fmt(kTop) << "\" x2=\"" << fmt(px(v))
        << "\" y2=\"" << fmt(kTop + kPlotH) << "\"/>\n";
  for (double v : y.ticks)
    if (y.t(v) >= -1e-9 && y.t(v) <= 1 + 1e-9)
      o << "<line x1=\"" << fmt(kLeft) << "\" y1=\"" << fmt(py(v)) << "\" x2=\""
        << fmt(kLeft + kPlotW) << "\" y2=\"" << fmt(py(v)) << "\"/>\n";
  o << "</g>\n";
  o << "<rect x=\"" << fmt(kLeft) << "\" y=\"" << fmt(kTop) << "\" width=\"" << fmt(kPlotW)
    << "\" height=\"" << fmt(kPlotH) << "\" fill=\"none\" stroke=\"#333333\"/>\n";
  o << "<g class=\"ticks\" fill=\"#333333\">\n";
  for (double v : x.ticks)
    if (x.t(v) >= -1e-9 && x.t(v) <= 1 + 1e-9)
      o << "<text x=\"" << fmt(px(v)) << "\" y=\"" << fmt(kTop + kPlotH + 17)
        << "\" text-anchor=\"middle\">" << escape(tick_label(v)) << "</text>\n";
  for (double v : y.ticks)
    if (y.t(v) >= -1e-9 && y.t(v) <= 1 + 1e-9)
      o << "<text x=\"" << fmt(kLeft - 6) << "\" y=\"" << fmt(py(v) + 4)
        << "\" text-anchor=\"end\">" << escape(tick_label(v)) << "</text>\n";
  o << "</g>\n";
  auto scale_note = [](Scale s) {
    return s == Scale::log2 ? " (log2 scale)" : s == Scale::log10 ? " (log10 scale)" : "";
  };
  o << "<text x=\"" << fmt(kLeft + kPlotW / 2) << "\" y=\"" << fmt(kHeight - 18)
    << "\" text-anchor=\"middle\">" << escape(p.x_label + scale_note(xs)) << "</text>\n";
  o << "<text x=\"18\" y=\"" << fmt(kTop + kPlotH / 2)
    << "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " << fmt(kTop + kPlotH / 2) << ")\">"
    << escape(p.y_label) << "</text>\n";

  // Series: a line, then the points with their data.
  for (const Series& s : p.series) {
    o << "<g class=\"series\" data-series=\"" << escape(s.name) << "\">\n";
    std::string pts;
    for (const Point& pt : s.points) {
      if (!std::isfinite(pt.x) || !std::isfinite(pt.y)) continue;
      pts += (pts.empty() ? "" : " ") + fmt(px(pt.x)) + "," + fmt(py(pt.y));
    }
    if (!pts.empty())
      o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"" << pts << "\"/>\n";
    for (const Point& pt : s.points) {
      if (!std::isfinite(pt.x) || !std::isfinite(pt.y)) continue;
      o << "<circle cx=\"" << fmt(px(pt.x)) << "\" cy=\"" << fmt(py(pt.y)) << "\" r=\"3.5\" fill=\""
        << s.color << "\" data-x=\"" << format_number(pt.x) << "\" data-y=\"" << format_number(pt.y)
        << "\"><title>"
        << escape(s.name + ": " + (pt.label.empty() ? "" : pt.label + ", ") +
                  "x=" + format_number(pt.x) + ", y=" + format_number(pt.y))
        << "</title></circle>\n";
      if (s.annotate && !pt.label.empty())
        o << "<text x=\"" << fmt(px(pt.x) + 6) << "\" y=\"" << fmt(py(pt.y) - 6)
          << "\" font-size=\"10\" fill=\"#555555\">" << escape(pt.label) << "</text>\n";
    }
    o << "</g>\n";
  }

  // Legend.
  const double lx = kLeft + kPlotW + 16;
  o << "<g class=\"legend\" font-size=\"11\">\n";
  for (size_t i = 0; i < p.series.size(); ++i) {
    const Series& s = p.series[i];
    const double ly = kTop + 10 + 20 * static_cast<double>(i);
    o << "<line x1=\"" << fmt(lx) << "\" y1=\"" << fmt(ly) << "\" x2=\"" << fmt(lx + 26)
      << "\" y2=\"" << fmt(ly) << "\" stroke=\"" << s.color << "\" stroke-width=\"2\""
      << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n";
    o << "<text x=\"" << fmt(lx + 32) << "\" y=\"" << fmt(ly + 4) << "\">" << escape(s.name)
      << "</text>\n";
  }
  o << "</g>\n</svg>\n";
  return o.str();
}

}  // namespace keepwarm::plot
