// plot_svg.hpp: a small SVG line-plot writer for the report, meant for papers: axes with
// readable ticks (linear, log2 or log10 on either axis), human units, axis labels, a legend
// under the plot, and series told apart by colour (Okabe-Ito, colour-blind safe), marker shape
// and dash pattern, so they read in black and white too. Error bars (95% CIs) where a point
// has them; markers that fall on the same spot are spread out sideways (the lines through them
// follow) and series that coincide entirely are named in a note. No title is drawn (a figure's
// caption is the document's); it is kept as the SVG's <title> for accessibility.
//
// Every point is a <path class="pt"> that carries its values in data-x / data-y attributes
// (shortest round-trip text, in data units, not display units), and data-y-lo / data-y-hi when it
// has an error bar, so tests and readers can check the drawn numbers against results.csv.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace keepwarm::plot {

enum class Scale { linear, log2, log10 };

enum class Marker { circle, square, triangle, diamond, triangle_down, plus, cross, star, pentagon };

// A unit to show a quantity in: value / divisor, named name.
struct Unit {
  std::string name;
  double divisor = 1;
};
// The unit of memory-time (MB*s) that shows the largest value (max_mb_s) as a number below
// 10,000: MB\u00b7s, GB\u00b7s, GB\u00b7h or TB\u00b7h (1 GB = 1024 MB, 1 TB = 1024 GB).
Unit memory_time_unit(double max_mb_s);
// value in unit, with at least 3 significant digits ("12.3", "1234", "0.0521").
std::string format_in(double value, const Unit& unit);

inline constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

struct Point {
  double x = 0, y = 0;
  std::string label;                  // tooltip text (optional)
  double y_lo = kNone, y_hi = kNone;  // vertical error bar (drawn when both are finite, lo < hi)
  double x_lo = kNone, x_hi = kNone;  // horizontal error bar
};

// How a series is drawn.
struct Style {
  std::string color = "#0072b2";
  std::string dash;  // stroke-dasharray, "" = solid
  Marker marker = Marker::circle;
};

// The i-th of the distinct styles (colour, marker and dash all cycle, with periods 8, 9 and 5,
// so no two of the first 360 are alike); and the baseline's (black, dashed).
Style style(size_t i);
Style baseline_style();

struct Series {
  std::string name;
  Style style;
  std::vector<Point> points;  // drawn and joined in this order
  bool annotate = false;      // write each point's label next to it (where it fits)
  bool hollow = false;        // markers drawn as outlines
};

struct Plot {
  std::string title, x_label, y_label;  // title: the SVG's <title> only, not drawn
  Scale x_scale = Scale::linear;
  Scale y_scale = Scale::linear;  // linear includes 0; on a log scale points <= 0 are left out
  std::vector<double> x_ticks;    // explicit x ticks in data units (empty = automatic)
  Unit x_unit, y_unit;            // display units (the labels should name them)
  double y_reference = kNone;     // a horizontal reference line there (data units), if finite
  std::string note;               // a line under the legend
  std::vector<Series> series;
};

// The scale for values in [lo, hi]: log (base 2 or 10) when all are > 0 and hi/lo > ratio.
Scale choose_scale(double lo, double hi, double ratio, Scale log_kind);

// The SVG document (no XML declaration, so it can be inlined in HTML as it is).
std::string render_svg(const Plot& plot);

// Text escaped for XML/HTML content and attribute values.
std::string escape(const std::string& text);

}  // namespace keepwarm::plot
