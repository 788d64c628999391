import HuitongCore
import HuitongIngest
import HuitongStore
import Testing

@testable import HuitongServices

/// A drop directory's file goes to `failed/` only when the file is at fault; when the node could not load it for
/// its own reasons it stays for the next run, so no file is set aside unread.
@Suite("Collection file faults")
struct CollectionFileFaultTests {
    @Test("an unreadable or rejected file is the file's fault; another load under way or a database failure is not")
    func faults() {
        #expect(CollectionUseCases.isFault(ofFile: IngestFailure.unreadableFile("bad CSV")))
        #expect(
            CollectionUseCases.isFault(ofFile: IngestFailure.tooManyRejected(rejected: 9, read: 10, threshold: 0.5)))
        #expect(CollectionUseCases.isFault(ofFile: ValidationError(field: "file", BilingualText(zh: "空", en: "empty"))))
        #expect(!CollectionUseCases.isFault(ofFile: IngestFailure.alreadyLoading))
        #expect(!CollectionUseCases.isFault(ofFile: StoreError.unavailable("connection reset")))
    }
}
