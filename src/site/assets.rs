//! The site's static files, compiled into the binary from assets/ and served under names that carry
//! a hash of their bytes (`app.3f9c….js`), so each can be cached for a year: a changed file is a new
//! name. Apache ECharts is vendored in assets/vendor/echarts (its version, checksum and licence
//! beside it).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file: its plain name, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/site/app.js"),
    },
    Asset {
        name: "site.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/site/site.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/site/favicon.svg"),
    },
    Asset {
        name: "echarts.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/echarts/echarts.common.min.js"),
    },
];

/// How long a hashed asset may be cached: a year, and it never changes under its name.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// Each asset's served name, with the first 16 hex digits of the blake3 hash of its bytes.
fn hashed_names() -> &'static Vec<String> {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let hash = blake3::hash(asset.bytes).to_hex();
                let (stem, extension) = asset.name.rsplit_once('.').expect("assets have extensions");
                format!("{stem}.{}.{extension}", &hash[..16])
            })
            .collect()
    })
}

/// The URL of the asset named `name` (`app.js`): `/assets/app.<hash>.js`.
pub fn url(name: &str) -> String {
    let index = ASSETS.iter().position(|asset| asset.name == name).expect("a known asset");
    format!("/assets/{}", hashed_names()[index])
}

/// `GET /assets/{name}`: an asset by its hashed name, cacheable for a year; any other name is 404.
pub async fn serve(Path(name): Path<String>) -> Response {
    match hashed_names().iter().position(|hashed| *hashed == name) {
        Some(index) => {
            let asset = &ASSETS[index];
            let mut response = (StatusCode::OK, asset.bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_FOREVER));
            response
        }
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such asset")
            .into_response(),
    }
}

/// `GET /favicon.ico`, which browsers ask for on their own: the site's icon (an SVG), briefly cached.
pub async fn favicon() -> Response {
    let asset = ASSETS.iter().find(|asset| asset.name == "favicon.svg").expect("the icon is embedded");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, asset.content_type), (header::CACHE_CONTROL, "public, max-age=86400")],
        asset.bytes,
    )
        .into_response()
}
