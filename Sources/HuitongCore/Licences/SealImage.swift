/// The image of an electronic seal (印模) as a department's round official seal looks: a red ring, the department's
/// name along the top arc, a five-pointed star, the seal's purpose beneath. An SVG document, made once when the seal
/// is made and kept with it, so every rendering of a licence shows the same image; a bureau may replace it with the
/// image of its registered seal.
public enum SealImage {
    public static func svg(departmentName: String, purpose: String = "电子证照专用章") -> String {
        let name = escaped(departmentName)
        let purpose = escaped(purpose)
        // Longer names are set smaller so that they stay on the upper 240° of the ring.
        let nameSize = max(12, min(22, 300 / max(1, departmentName.count)))
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200" role="img" \
            aria-label="\(name) \(purpose)">
            <defs><path id="arc" d="M 38 128 A 66 66 0 1 1 162 128"/></defs>
            <circle cx="100" cy="100" r="92" fill="none" stroke="#d6001c" stroke-width="6"/>
            <text fill="#d6001c" font-size="\(nameSize)" font-weight="bold" font-family="SimSun, serif" \
            letter-spacing="2"><textPath href="#arc" startOffset="50%" text-anchor="middle">\(name)</textPath></text>
            <polygon fill="#d6001c" points="100,62 109,89 137,89 114,105 123,132 100,116 77,132 86,105 63,89 91,89"/>
            <text x="100" y="160" fill="#d6001c" font-size="14" font-family="SimSun, serif" \
            text-anchor="middle">\(purpose)</text>
            </svg>
            """
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
