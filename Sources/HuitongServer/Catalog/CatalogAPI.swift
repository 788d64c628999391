import HuitongStore
import Hummingbird

struct CatalogAPI {
    let store: Store

    func register(on api: RouterGroup<HuitongRequestContext>) {
    }
}
