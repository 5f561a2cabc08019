//! `POST /v1/check`: a proposal source in the body, checked as `ironrule check` checks it and
//! answered in the format asked for, byte for byte what the command prints for the same file
//! under the same name.

use super::{bytes_response, upload, ApiError, App, Limits, Loaded};
use crate::cli::FailOn;
use crate::engine::ReadRequest;
use crate::report::{Format, Style};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;

/// The query parameters, as `ironrule check`'s options of the same names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Params {
    /// The report format (default json).
    format: Option<String>,
    lang: Option<String>,
    /// `--assume-crs`.
    crs: Option<String>,
    /// The upload's file name: tells its format, and names it in the report.
    name: Option<String>,
    id_field: Option<String>,
    layer: Option<String>,
    repair: Option<bool>,
    encoding: Option<String>,
    fail_on: Option<String>,
}

/// What a check needs from the request once its body is in.
struct Asked {
    format: Format,
    lang: crate::model::Lang,
    crs: Option<crate::crs::Crs>,
    name: String,
    fail_on: FailOn,
}

fn parse(params: &Params, headers: &axum::http::HeaderMap) -> Result<Asked, ApiError> {
    use clap::ValueEnum;
    let format = match params.format.as_deref() {
        None => Format::Json,
        Some(f) => Format::from_str(f, true).map_err(|_| {
            ApiError::bad_request(format!(
                "format {f:?}: one of json, sarif, geojson, html, text, csv, jsonl, junit, github"
            ))
        })?,
    };
    if format == Format::Gpkg {
        return Err(ApiError::bad_request(
            "format gpkg is a file the command line writes; ask for geojson (the same findings layer, in WGS 84)",
        ));
    }
    let fail_on = match params.fail_on.as_deref() {
        None => FailOn::Prohibited,
        Some(f) => FailOn::from_str(f, true).map_err(|_| {
            ApiError::bad_request(format!(
                "fail_on {f:?}: one of notice, requires-assessment, requires-approval, prohibited, never"
            ))
        })?,
    };
    let crs = params
        .crs
        .as_deref()
        .map(crate::crs::Crs::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("crs: {e}")))?;
    Ok(Asked {
        format,
        lang: super::lang_of(params.lang.as_deref(), headers)?,
        crs,
        name: upload_name(params, headers)?,
        fail_on,
    })
}

/// The upload's file name: `?name=` (a plain file name), else one for its Content-Type.
pub(super) fn upload_name(
    params: &Params,
    headers: &axum::http::HeaderMap,
) -> Result<String, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Ok(match params.name.as_deref() {
        Some(n) => upload::file_name(n)?.to_owned(),
        None => upload::name_for(content_type)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "say what the body is: ?name=FILE (its extension tells the format, as on the command line: .geojson, .geojsonl, .fgb, .parquet, .gpkg, .zip with a Shapefile), or a Content-Type such as application/geo+json{}",
                    content_type.map(|c| format!(" (not {c:?})")).unwrap_or_default()
                ))
            })?
            .to_owned(),
    })
}

/// Reads the body within the size limit and the time left.
async fn body(req: Request, limits: &Limits, deadline: Instant) -> Result<bytes::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        ApiError::too_large(format!(
            "the body is larger than the {} MiB this server takes (--max-body-mb)",
            limits.max_body_bytes >> 20
        ))
    };
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(req.into_body(), limits.max_body_bytes);
    match tokio::time::timeout_at(deadline.into(), read).await {
        Err(_) => Err(ApiError::new(
            408,
            format!(
                "the body did not arrive within {} s (--timeout-secs)",
                limits.timeout.as_secs()
            ),
        )),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::bad_request(format!("cannot read the body: {e}"))),
        Ok(Ok(b)) if b.is_empty() => Err(ApiError::bad_request(
            "the body is empty: send the proposal source (GeoJSON, or a file with ?name=)",
        )),
        Ok(Ok(b)) => Ok(b),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("length limit exceeded") {
            return true;
        }
        source = s.source();
    }
    false
}

pub(super) async fn check(
    State(app): State<Arc<App>>,
    query: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let limits = app.config.limits;
    let deadline = started + limits.timeout;
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let Ok(_request) = app.requests.clone().try_acquire_owned() else {
        return Err(ApiError::unavailable(format!(
            "{} requests are being answered, as many as this server takes at once (--max-requests); try again",
            limits.max_requests
        )));
    };
    let asked = parse(&params, req.headers())?;
    let body = body(req, &limits, deadline).await?;
    // Wait for a worker (one per core) within the time left; the check then holds it.
    let worker =
        match tokio::time::timeout_at(deadline.into(), app.workers.clone().acquire_owned()).await {
            Ok(Ok(w)) => w,
            _ => {
                return Err(ApiError::unavailable(format!(
                    "no worker was free within {} s (--timeout-secs); try again",
                    limits.timeout.as_secs()
                )))
            }
        };
    let loaded = app.current();
    // A small GeoJSON body (a footprint or a few, drawn on the map) is checked right here, on
    // the connection's thread: it takes a fraction of a millisecond, less than handing it to
    // another thread and back. Anything larger, or a file, goes to a blocking thread, where
    // the time limit can let go of it.
    if body.len() <= INLINE_BYTES && is_geojson(&asked.name) {
        let _worker = worker;
        return run(&loaded, &params, &asked, &body, &limits);
    }
    let work = tokio::task::spawn_blocking(move || {
        let _worker = worker;
        run(&loaded, &params, &asked, &body, &limits)
    });
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => Err(ApiError::internal(format!("the check failed: {e}"))),
        // The check goes on to its end on its worker (which stays taken), but is not waited for.
        Err(_) => Err(ApiError::unavailable(format!(
            "the check took longer than {} s (--timeout-secs)",
            limits.timeout.as_secs()
        ))),
    }
}

/// Bodies up to this size, GeoJSON, are checked on the connection's own thread.
const INLINE_BYTES: usize = 64 << 10;

fn is_geojson(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".geojson") || n.ends_with(".json")
}

/// The check itself, on a worker thread.
fn run(
    loaded: &Loaded,
    params: &Params,
    asked: &Asked,
    body: &[u8],
    limits: &Limits,
) -> Result<Response, ApiError> {
    let checker = loaded.checker(asked.lang);
    let staged = upload::stage(&asked.name, body, limits)?;
    let request = ReadRequest {
        assume_crs: asked.crs.as_ref(),
        id_field: params.id_field.as_deref(),
        layer: params.layer.as_deref(),
        repair: params.repair.unwrap_or(false),
        encoding: params.encoding.as_deref(),
        all_attributes: false,
    };
    let report = crate::report::build::check_files(
        checker,
        &staged.sources,
        &request,
        asked.format == Format::Html,
    );
    let mut out = Vec::new();
    asked
        .format
        .emitter(Style::default())
        .emit(&mut out, &report)
        .map_err(|e| ApiError::internal(format!("cannot write the report: {e}")))?;
    let out = unstage(out, &staged.prefix());
    let exit = report.exit_code(asked.fail_on.severity());
    let status = if exit == 2 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = bytes_response(status, content_type(asked.format), out);
    r.headers_mut()
        .insert("x-ironrule-exit", HeaderValue::from(u16::from(exit)));
    Ok(r)
}

/// The report with the staging folder taken out of every name, so that it names the upload
/// as the client did (the prefix is random: it occurs nowhere else).
fn unstage(out: Vec<u8>, prefix: &str) -> Vec<u8> {
    let finder = memchr::memmem::Finder::new(prefix.as_bytes());
    let mut at = finder.find_iter(&out).peekable();
    if at.peek().is_none() {
        return out;
    }
    let mut clean = Vec::with_capacity(out.len());
    let mut from = 0;
    for i in at {
        clean.extend_from_slice(&out[from..i]);
        from = i + prefix.len();
    }
    clean.extend_from_slice(&out[from..]);
    clean
}

fn content_type(f: Format) -> &'static str {
    match f {
        Format::Json => "application/json",
        Format::Jsonl => "application/jsonl",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Sarif => "application/sarif+json",
        Format::Junit => "application/xml",
        Format::Geojson => "application/geo+json",
        Format::Html => "text/html; charset=utf-8",
        Format::Text | Format::Github | Format::Gpkg => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstaging_takes_the_prefix_out_everywhere() {
        let out = b"{\"source\":\"/tmp/.ironrule-upload-ab12/p.geojson\",\"m\":\"/tmp/.ironrule-upload-ab12/p.geojson: bad\"}".to_vec();
        assert_eq!(
            unstage(out, "/tmp/.ironrule-upload-ab12/"),
            b"{\"source\":\"p.geojson\",\"m\":\"p.geojson: bad\"}"
        );
        assert_eq!(unstage(b"abc".to_vec(), "/tmp/x/"), b"abc");
    }
}
