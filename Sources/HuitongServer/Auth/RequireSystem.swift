import HuitongCore
import HuitongServices
import HuitongStore

extension HuitongRequestContext {
    /// The calling application system, or 401 without credentials and 403 for a person: endpoints that serve
    /// consumer systems (the gateway) take their callers from here.
    public func requireSystem() throws -> (system: ApplicationSystem, credential: APIToken) {
        guard let principal else { throw APIError.unauthenticated }
        guard let system = principal.system else {
            throw AccessError.forbidden(
                BilingualText(
                    zh: "此接口只接受应用系统凭证", en: "this endpoint takes application-system credentials only"))
        }
        return system
    }
}
