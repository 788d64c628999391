import Foundation
import Hummingbird

/// Serves the API contract, `Resources/openapi.json`, at `/api/openapi.json`.
public enum OpenAPIDocument {
    public static let data: Data = {
        guard
            let url = Bundle.module.url(forResource: "Resources", withExtension: nil)?.appendingPathComponent(
                "openapi.json"),
            let data = try? Data(contentsOf: url)
        else { return Data("{}".utf8) }
        return data
    }()

    static func register(on router: Router<HuitongRequestContext>) {
        router.get("/api/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
