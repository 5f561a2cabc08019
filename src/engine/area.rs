//! The project's area: where proposals may lie. A footprint outside it was most likely read in
//! the wrong CRS (a wrong `--assume-crs`, GCJ-02 coordinates, swapped axes), where no rule
//! would fire; it is refused, not passed.

use super::Checker;
use crate::model::{fmt_num, Diagnostic, Feature, Lang};

impl Checker {
    /// The error for a feature that reaches outside the project's area, naming where it
    /// reaches and the likely causes; `None` inside (or for a project without an area). Any
    /// part outside counts: a far-away part of a multipolygon (a decoy 10^12 m east) is as
    /// suspect as a whole footprint misplaced.
    pub fn outside_area(&self, f: &Feature) -> Option<Diagnostic> {
        use geo::BoundingRect;
        let area = self.area?;
        let b = f.geometry.bounding_rect()?;
        // How far the footprint's box reaches beyond the area, metres (0 inside).
        let beyond = [
            area.min().x - b.min().x,
            b.max().x - area.max().x,
            area.min().y - b.min().y,
            b.max().y - area.max().y,
        ]
        .into_iter()
        .fold(0.0_f64, f64::max);
        // f64::max ignores NaN, so `beyond` is a number.
        if beyond <= 0.0 {
            return None;
        }
        let c = b.center();
        let (x, y, crs) = (fmt_num(c.x), fmt_num(c.y), &self.project.crs.name);
        let km = fmt_num(beyond / 1000.0);
        let rect = format!(
            "[{}, {}, {}, {}]",
            fmt_num(area.min().x),
            fmt_num(area.min().y),
            fmt_num(area.max().x),
            fmt_num(area.max().y)
        );
        let message = match self.lang {
            Lang::En => format!(
                "the footprint lies outside the project's area: its box is centred at ({x}, {y}) in {crs} and reaches {km} km beyond the area {rect}. Likely causes: a wrong or missing CRS (pass --assume-crs or fix the file's .prj), coordinates copied from a web map in GCJ-02, or x and y swapped. It was not checked"
            ),
            Lang::Zh => format!(
                "用地位于项目范围之外（outside the project's area）：其外包框中心约在 {crs} 的 ({x}, {y})，超出项目范围 {rect} {km} 公里。可能原因：坐标系错误或缺失（用 --assume-crs 指定，或修正文件的 .prj）、从网络地图复制的 GCJ-02 坐标、或 x 与 y 颠倒。未予审查"
            ),
        };
        Some(
            Diagnostic::error(&*f.fref.source, message).feature(f.fref.index, f.fref.id.as_deref()),
        )
    }
}
