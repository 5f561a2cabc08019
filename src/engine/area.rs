//! The project's area: where proposals may lie. A footprint outside it was most likely read in
//! the wrong CRS (a wrong `--assume-crs`, GCJ-02 coordinates, swapped axes), where no rule
//! would fire; it is refused, not passed.

use super::checker::fmt_num;
use super::Checker;
use crate::model::{Diagnostic, Feature, Lang};

impl Checker {
    /// The error for a feature that lies outside the project's area, naming where it lies and
    /// the likely causes; `None` inside (or for a project without an area).
    pub fn outside_area(&self, f: &Feature) -> Option<Diagnostic> {
        use geo::{BoundingRect, Intersects};
        let area = self.area?;
        let b = f.geometry.bounding_rect()?;
        if area.intersects(&b) {
            return None;
        }
        let c = b.center();
        let (x, y, crs) = (fmt_num(c.x), fmt_num(c.y), &self.project.crs.name);
        let km = fmt_num(crate::index::zone_layer::box_distance(area, b) / 1000.0);
        let rect = format!(
            "[{}, {}, {}, {}]",
            fmt_num(area.min().x),
            fmt_num(area.min().y),
            fmt_num(area.max().x),
            fmt_num(area.max().y)
        );
        let message = match self.lang {
            Lang::En => format!(
                "the footprint lies outside the project's area: around ({x}, {y}) in {crs}, {km} km from the area {rect}. Likely causes: a wrong or missing CRS (pass --assume-crs or fix the file's .prj), coordinates copied from a web map in GCJ-02, or x and y swapped. It was not checked"
            ),
            Lang::Zh => format!(
                "用地位于项目范围之外（outside the project's area）：约在 {crs} 的 ({x}, {y})，距项目范围 {rect} {km} 公里。可能原因：坐标系错误或缺失（用 --assume-crs 指定，或修正文件的 .prj）、从网络地图复制的 GCJ-02 坐标、或 x 与 y 颠倒。未予审查"
            ),
        };
        Some(
            Diagnostic::error(f.fref.source.clone(), message)
                .feature(f.fref.index, f.fref.id.as_deref()),
        )
    }
}
