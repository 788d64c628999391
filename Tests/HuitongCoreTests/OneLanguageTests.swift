import Foundation
import HuitongCore
import Testing

/// Texts kept for both languages, read back one language at a time, and the applicant's withdrawal step.
@Suite("One language at a time; withdrawing an application")
struct OneLanguageTests {
    @Test("a stored 中文 (English) text reads back as each language; other texts stay whole")
    func combinedTextSplits() {
        let empty = BilingualText(combined: "文件为空 (the file is empty)")
        #expect(empty.zh == "文件为空" && empty.en == "the file is empty")
        let nested = BilingualText(combined: "运行中断（进程已退出） (interrupted (stopped) early)")
        #expect(nested.zh == "运行中断（进程已退出）" && nested.en == "interrupted (stopped) early")
        #expect(BilingualText(combined: BilingualText(zh: "须为整数", en: "must be whole").combined).en == "must be whole")
        for whole in ["只有中文", "f(x) (y)", "名称（全角）", "末尾 (", "a (b)"] {
            #expect(BilingualText(combined: whole) == BilingualText(zh: whole, en: whole), "\(whole)")
        }
    }

    @Test("a form's issue keeps each language apart for pages, and both together for the API")
    func fieldIssueLanguages() throws {
        let issue = FieldIssue(field: "abstract", message: BilingualText(zh: "信息资源摘要不能为空", en: "abstract is required"))
        #expect(issue.text.zh == "信息资源摘要不能为空" && issue.text.en == "abstract is required")
        #expect(issue.message == "信息资源摘要不能为空 (abstract is required)")
        let json = String(decoding: try JSONEncoder().encode(issue), as: UTF8.self)
        #expect(!json.contains("\"text\""), "the JSON body is unchanged: \(json)")
        #expect(try JSONDecoder().decode(FieldIssue.self, from: Data(json.utf8)) == issue)
    }

    @Test("an applicant withdraws an application until it is decided, never after")
    func withdrawal() throws {
        let workflow = ApplicationWorkflow(complianceReview: true)
        for state in [ApplicationState.draft, .submitted, .complianceReview, .providerReview, .returnedForInfo] {
            #expect(try workflow.apply(.withdraw, to: state) == .withdrawn)
        }
        for state in [ApplicationState.approved, .partiallyApproved, .rejected, .coordination, .withdrawn] {
            #expect(throws: WorkflowError.transitionNotAllowed(.withdraw, from: state)) {
                try workflow.apply(.withdraw, to: state)
            }
        }
        #expect(ApplicationAction.withdraw.actor == .consumer)
        #expect(!ApplicationState.withdrawn.isGranted && !ApplicationState.withdrawn.hasDeadline)
    }
}
