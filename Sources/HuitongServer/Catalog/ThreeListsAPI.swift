import HuitongStore
import Hummingbird

struct ThreeListsAPI {
    let store: Store

    func register(on api: RouterGroup<HuitongRequestContext>) {
    }
}
