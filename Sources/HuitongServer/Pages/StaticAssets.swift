import Foundation
import Hummingbird

/// The static files pages use besides the stylesheet: the dataset preview's map script and the Leaflet it draws
/// with (vendored from Debian's `libjs-leaflet`, see `static/vendor/leaflet/README.md`). Read once from the
/// resources and served from memory, each at a fixed address.
struct StaticAssets: Sendable {
    struct Asset: Sendable {
        var path: String
        var contentType: String
        var data: Data
    }

    let assets: [Asset]

    static let files: [(path: String, contentType: String)] = [
        ("map.js", "text/javascript; charset=utf-8"),
        ("vendor/leaflet/leaflet.min.js", "text/javascript; charset=utf-8"),
        ("vendor/leaflet/leaflet.css", "text/css; charset=utf-8"),
        ("vendor/leaflet/LICENSE", "text/plain; charset=utf-8"),
        ("vendor/leaflet/images/marker-icon.png", "image/png"),
        ("vendor/leaflet/images/marker-icon-2x.png", "image/png"),
        ("vendor/leaflet/images/marker-shadow.png", "image/png"),
        ("vendor/leaflet/images/layers.png", "image/png"),
        ("vendor/leaflet/images/layers-2x.png", "image/png"),
    ]

    /// The bundled files; a file missing from a damaged build is left out rather than failing the node.
    static let bundled: StaticAssets = {
        guard let resources = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            return StaticAssets(assets: [])
        }
        return StaticAssets(
            assets: files.compactMap { file in
                guard let data = try? Data(contentsOf: resources.appendingPathComponent("static/\(file.path)")) else {
                    return nil
                }
                return Asset(path: "/static/\(file.path)", contentType: file.contentType, data: data)
            })
    }()

    func register(on router: Router<HuitongRequestContext>) {
        for asset in assets {
            router.get(RouterPath(asset.path)) { _, _ in
                Response(
                    status: .ok,
                    headers: [
                        .contentType: asset.contentType, .cacheControl: "public, max-age=86400",
                        .xContentTypeOptions: "nosniff",
                    ],
                    body: ResponseBody(byteBuffer: ByteBuffer(data: asset.data)))
            }
        }
    }
}
