// plot_svg.hpp: a small SVG line-plot writer for the report: axes with readable ticks (x
// linear, log2 or log10; y linear from 0), axis labels, a legend, and one circle per data point
// that carries its values in data-x / data-y attributes (shortest round-trip text), so tests and
// readers can check the drawn numbers against results.csv.
#pragma once

#include <string>
#include <vector>

namespace keepwarm::plot {

enum class Scale { linear, log2, log10 };

struct Point {
  double x = 0, y = 0;
  std::string label;  // tooltip text (optional)
};

struct Series {
  std::string name;
  std::string color = "#1f77b4";
  bool dashed = false;
  std::vector<Point> points;  // drawn and joined in this order
  bool annotate = false;      // write each point's label next to it
};

struct Plot {
  std::string title, x_label, y_label;
  Scale x_scale = Scale::linear;  // y is linear and starts at 0
  std::vector<double> x_ticks;    // explicit x ticks (empty = automatic)
  std::vector<Series> series;
};

// The scale for values in [lo, hi]: log (base 2 or 10) when all are > 0 and hi/lo > ratio.
Scale choose_scale(double lo, double hi, double ratio, Scale log_kind);

// The SVG document (no XML declaration, so it can be inlined in HTML as it is).
std::string render_svg(const Plot& plot);

// Text escaped for XML/HTML content and attribute values.
std::string escape(const std::string& text);

// A distinct colour for the i-th series.
std::string palette(size_t i);

}  // namespace keepwarm::plot
