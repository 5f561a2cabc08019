//! An uploaded proposal source, staged in a private temporary folder that is removed when the
//! request ends: the readers read files (GeoPackage is SQLite, GeoParquet and FlatGeobuf are
//! read by position), and a zipped Shapefile is several files. Nothing else is written, and no
//! request names a path on the server.

use super::{ApiError, Limits};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Extensions that travel with a Shapefile and are not sources of their own.
const SIDECARS: &[&str] = &[
    "dbf", "shx", "prj", "cpg", "qix", "sbn", "sbx", "xml", "qmd", "fix",
];

/// Files an archive may hold beside its data that are not data: read-me files and documents.
const DOCUMENTS: &[&str] = &[
    "txt", "md", "pdf", "doc", "docx", "htm", "html", "jpg", "jpeg", "png",
];

/// An upload on disk: the sources to check, and the prefix to take out of what the report
/// says so that it names the upload as the client named it.
pub(super) struct Staged {
    dir: tempfile::TempDir,
    pub sources: Vec<PathBuf>,
}

impl Staged {
    /// What the staging folder adds in front of the upload's own name (`/tmp/.ironrule-upload-
    /// Xk3…/`): random, so it cannot occur in a report by chance.
    pub fn prefix(&self) -> String {
        format!("{}/", self.dir.path().display())
    }
}

/// The file name a client gave (`?name=`), checked to be a plain name: no folder, no `..`, no
/// control character.
pub(super) fn file_name(name: &str) -> Result<&str, ApiError> {
    let bad = |why: &str| ApiError::bad_request(format!("name {name:?}: {why}"));
    if name.is_empty() || name.len() > 255 {
        return Err(bad(
            "must be a file name of 1 to 255 bytes, such as proposals.gpkg",
        ));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(bad("must be a file name, not a path"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("holds a control character"));
    }
    Ok(name)
}

/// The upload's name from its `Content-Type` when the client gave none.
pub(super) fn name_for(content_type: Option<&str>) -> Option<&'static str> {
    let mime = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    Some(match mime.as_str() {
        "application/geo+json" | "application/json" => "upload.geojson",
        "application/geo+json-seq" | "application/x-ndjson" => "upload.geojsonl",
        "application/zip" | "application/x-zip-compressed" => "upload.zip",
        "application/geopackage+sqlite3" => "upload.gpkg",
        "application/vnd.apache.parquet" | "application/x-parquet" => "upload.parquet",
        "application/flatgeobuf" => "upload.fgb",
        _ => return None,
    })
}

/// Stages `body` as `name` (a zip archive is unpacked into a folder of that name), within
/// `limits`.
pub(super) fn stage(name: &str, body: &[u8], limits: &Limits) -> Result<Staged, ApiError> {
    let dir = tempfile::Builder::new()
        .prefix(".ironrule-upload-")
        .tempdir_in(staging_root())
        .map_err(|e| ApiError::internal(format!("cannot stage the upload: {e}")))?;
    let target = dir.path().join(name);
    let sources = if has_extension(name, "zip") {
        unzip(name, body, &target, limits)?
    } else {
        std::fs::write(&target, body)
            .map_err(|e| ApiError::internal(format!("cannot stage the upload: {e}")))?;
        vec![target]
    };
    Ok(Staged { dir, sources })
}

/// Where uploads are staged: /dev/shm (memory; the body is in memory already, and creating
/// and removing files there costs a fraction of a disk-backed /tmp), else the temporary folder.
fn staging_root() -> &'static Path {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        match tempfile::Builder::new()
            .prefix(".ironrule-probe-")
            .tempdir_in(shm)
        {
            Ok(_) => shm.to_owned(),
            Err(_) => std::env::temp_dir(),
        }
    })
}

fn has_extension(name: &str, ext: &str) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Unpacks a zip archive into `into`, refusing what would not fit the limits (entries, total
/// size unpacked, counted as the bytes come out, not as the archive declares them) and entries
/// that name paths outside it. Gives the sources it holds, in name order.
fn unzip(name: &str, body: &[u8], into: &Path, limits: &Limits) -> Result<Vec<PathBuf>, ApiError> {
    let unprocessable = |why: String| ApiError::unprocessable(format!("{name}: {why}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body))
        .map_err(|e| unprocessable(format!("not a readable zip archive: {e}")))?;
    if archive.len() > limits.max_zip_entries {
        return Err(ApiError::too_large(format!(
            "{name}: the archive holds {} entries, more than the {} the server unpacks (--max-zip-entries)",
            archive.len(),
            limits.max_zip_entries
        )));
    }
    let mut left = limits.max_unzipped_bytes;
    let mut sources = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| unprocessable(format!("entry {i}: {e}")))?;
        let Some(relative) = entry.enclosed_name() else {
            return Err(unprocessable(format!(
                "entry {:?} names a path outside the archive",
                entry.name()
            )));
        };
        let path = into.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path)
                .map_err(|e| ApiError::internal(format!("cannot stage the upload: {e}")))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ApiError::internal(format!("cannot stage the upload: {e}")))?;
        }
        let mut out = std::fs::File::create(&path)
            .map_err(|e| ApiError::internal(format!("cannot stage the upload: {e}")))?;
        // At most one byte past what is left: enough to tell that the limit was passed.
        let mut limited = (&mut entry).take(left + 1);
        let mut buf = [0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let n = limited
                .read(&mut buf)
                .map_err(|e| unprocessable(format!("entry {:?}: {e}", relative.display())))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            if written > left {
                return Err(ApiError::too_large(format!(
                    "{name}: unpacks to more than {} MiB (--max-unzipped-mb); refused as a possible zip bomb",
                    limits.max_unzipped_bytes / (1024 * 1024)
                )));
            }
            out.write_all(&buf[..n])
                .map_err(|e| ApiError::internal(format!("cannot stage the upload: {e}")))?;
        }
        left -= written;
        let ext = relative
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        // What archivers add (macOS's __MACOSX folder, dot files) and a Shapefile's sidecars
        // travel along; a document is not a submission. Anything else must be read: a file
        // this build cannot read is refused, not left out of the check unsaid.
        let hidden = relative.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c.starts_with('.') || c == "__MACOSX"
        });
        if hidden || SIDECARS.contains(&ext.as_str()) || DOCUMENTS.contains(&ext.as_str()) {
            continue;
        }
        if let Err(e) = crate::io::Format::of(&path) {
            let why = e.to_string();
            let why = why
                .strip_prefix(&path.display().to_string())
                .map_or(why.as_str(), |w| w.trim_start_matches([':', ' ']));
            return Err(unprocessable(format!(
                "{}: {why}; take it out of the archive, or send it on its own",
                relative.display()
            )));
        }
        sources.push(path);
    }
    sources.sort();
    if sources.is_empty() {
        return Err(unprocessable(
            "the archive holds no file this server reads (GeoJSON, GeoJSON sequences, FlatGeobuf, GeoParquet, Shapefile, GeoPackage; more with the gdal feature)".into(),
        ));
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_zip_entries: 10,
            max_unzipped_bytes: 1024,
            ..Limits::default()
        }
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn names_must_be_plain_file_names() {
        assert!(file_name("proposals.gpkg").is_ok());
        assert!(file_name("规划地块.geojson").is_ok());
        for bad in [
            "",
            "../etc/passwd",
            "a/b.geojson",
            "a\\b.shp",
            "..",
            "x\n.geojson",
        ] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_zip_unpacks_to_its_sources_without_sidecars() {
        let z = zip_of(&[
            ("p/parcels.shp", b"x"),
            ("p/parcels.dbf", b"x"),
            ("p/parcels.prj", b"x"),
            ("__MACOSX/p/._parcels.shp", b"x"),
            ("more.geojson", b"{}"),
        ]);
        let staged = stage("up.zip", &z, &limits()).unwrap();
        let names: Vec<String> = staged
            .sources
            .iter()
            .map(|p| {
                p.strip_prefix(staged.prefix())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["up.zip/more.geojson", "up.zip/p/parcels.shp"]);
    }

    #[test]
    fn a_zip_entry_this_build_cannot_read_is_refused_not_left_out() {
        // A KML beside a GeoJSON: in the default build, KML is read only through GDAL.
        #[cfg(not(feature = "gdal"))]
        {
            let z = zip_of(&[("a.geojson", b"{}"), ("b.kml", b"<kml/>")]);
            let e = stage("mixed.zip", &z, &limits()).err().unwrap();
            assert_eq!(e.status, 422);
            assert!(e.message.starts_with("mixed.zip: b.kml: "), "{}", e.message);
        }
        // A data file whose name starts with an underscore is data, and a read-me is not.
        let z = zip_of(&[("_parcels.geojson", b"{}"), ("README.txt", b"hi")]);
        let staged = stage("u.zip", &z, &limits()).unwrap();
        assert_eq!(staged.sources.len(), 1);
        assert!(staged.sources[0].ends_with("_parcels.geojson"));
    }

    #[test]
    fn a_zip_bomb_is_refused_as_it_unpacks() {
        // 1 MiB of zeros compresses to about a kilobyte; the limit is 1 KiB unpacked.
        let z = zip_of(&[("bomb.geojson", &vec![0u8; 1 << 20])]);
        assert!(z.len() < 8 * 1024);
        let e = stage("bomb.zip", &z, &limits()).err().unwrap();
        assert_eq!(e.status, 413);
        assert!(e.message.contains("zip bomb"), "{}", e.message);
        let many: Vec<(String, Vec<u8>)> =
            (0..11).map(|i| (format!("{i}.geojson"), vec![])).collect();
        let refs: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let e = stage("many.zip", &zip_of(&refs), &limits()).err().unwrap();
        assert!(e.message.contains("11 entries"), "{}", e.message);
    }

    #[test]
    fn a_zip_entry_outside_the_archive_is_refused() {
        let z = zip_of(&[("../escape.geojson", b"{}")]);
        let e = stage("evil.zip", &z, &limits()).err().unwrap();
        assert_eq!(e.status, 422);
        assert!(e.message.contains("outside the archive"), "{}", e.message);
    }
}
