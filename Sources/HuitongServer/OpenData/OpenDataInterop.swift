import Foundation
import HuitongCore
import HuitongStore
import Hummingbird

/// Machine-readable metadata of the open entries: DCAT 3 (`/catalog.jsonld`, `/catalog.ttl`) and the
/// CKAN-compatible action API (`/api/3/action/…`).
struct OpenDataInterop {
    let store: Store
    let configuration: ServerConfiguration

    func register(on router: Router<HuitongRequestContext>) {
    }
}
