import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Machine-readable metadata of the open entries: DCAT 3 (`/catalog.jsonld`, `/catalog.ttl`) and the
/// CKAN-compatible action API (`/api/3/action/…`, and `/api/action/…` as ckanapi and older clients call it).
///
/// Both are public: they answer without signing in, and show only published entries whose openness is public.
struct OpenDataInterop {
    let store: Store
    let openCatalog: OpenCatalog
    let configuration: ServerConfiguration

    func register(on router: Router<HuitongRequestContext>) {
        let catalog = openCatalog
        let links = OpenDataLinks(base: configuration.baseURL)
        let dcat = DCATCatalog(catalog: catalog, links: links)
        router.get("catalog.ttl") { _, _ in try await dcat.response(.turtle) }
        router.get("catalog.jsonld") { _, _ in try await dcat.response(.jsonLD) }

        let ckan = CKANActionAPI(catalog: catalog, links: links)
        for prefix in ["api/3/action", "api/action"] {
            router.get("\(prefix)/:action", use: ckan.handle)
            router.post("\(prefix)/:action", use: ckan.handle)
        }
    }
}
