import CASWire
import SeededRandom
import Testing

@testable import CASCore

// MARK: - fixture and helpers

/// Six people; row 2 is missing in every column, "Carol  " has trailing blanks, row 3's photo is an empty blob.
private let people = DataTable(
    name: "PEOPLE",
    columns: [
        Column(name: "name", data: .varchar(["Alice", "bob", nil, "Carol  ", "O'Neil", "Dave"])),
        Column(name: "age", data: .double([30, 25, .nan, 41, 35, 19])),
        Column(name: "height", data: .int64([170, nil, 160, 180, 175, 190])),
        Column(name: "code", data: .int32([1, 2, nil, 3, 4, 5])),
        Column(name: "city", data: .varchar(["Paris", "Oslo", "", "New York", "Paris", "Lima"])),
        Column(name: "home town", data: .varchar(["Lyon", "Bergen", nil, "Albany", "Cork", "Cusco"])),
        Column(name: "photo", data: .varbinary([[1, 2], nil, nil, [], [3], nil])),
    ])

private func rows(_ text: String, in table: DataTable = people) throws -> [Int] {
    try WhereExpression(text).bind(to: table).matchingRows()
}

/// The error thrown by parsing and binding `text`, or nil when there is none.
private func whereError(_ text: String, bindValue: Bool = false) -> WhereError? {
    do {
        let e = try WhereExpression(text)
        _ = bindValue ? try e.bindValue(to: people) : try e.bind(to: people)
        return nil
    } catch {
        return error
    }
}

/// An expression and the rows of `people` it must select.
struct WhereCase: Sendable, CustomTestStringConvertible {
    var text: String
    var expected: [Int]
    init(_ text: String, _ expected: [Int]) {
        self.text = text
        self.expected = expected
    }
    var testDescription: String { text }
}

/// An expression that must fail at `position` with a message containing `fragment`.
struct WhereErrorCase: Sendable, CustomTestStringConvertible {
    var text: String
    var position: Int
    var fragment: String
    init(_ text: String, at position: Int, _ fragment: String) {
        self.text = text
        self.position = position
        self.fragment = fragment
    }
    var testDescription: String { text }
}

// MARK: - selection

@Suite("where: selecting rows")
struct WhereSelectionTests {
    static let comparisons: [WhereCase] = [
        WhereCase("age > 30", [3, 4]),
        WhereCase("age >= 30", [0, 3, 4]),
        WhereCase("age < 26", [1, 2, 5]),  // missing is lower than every number
        WhereCase("age <= 25", [1, 2, 5]),
        WhereCase("age = 30", [0]),
        WhereCase("age = 30.0", [0]),
        WhereCase("age < 3e1", [1, 2, 5]),
        WhereCase("age = .", [2]),
        WhereCase("age ^= .", [0, 1, 3, 4, 5]),
        WhereCase("age ^= 30", [1, 2, 3, 4, 5]),
        WhereCase("age ~= 30", [1, 2, 3, 4, 5]),
        WhereCase("age != 30", [1, 2, 3, 4, 5]),
        WhereCase("age <> 30", [1, 2, 3, 4, 5]),
        WhereCase("age eq 30", [0]),
        WhereCase("age EQ 30", [0]),
        WhereCase("age ne 30", [1, 2, 3, 4, 5]),
        WhereCase("age lt 25", [2, 5]),
        WhereCase("age le 25", [1, 2, 5]),
        WhereCase("age gt 40", [3]),
        WhereCase("age ge 41", [3]),
        WhereCase("height > 175", [3, 5]),  // int64 column
        WhereCase("height < 165", [1, 2]),  // missing int64 is lowest too
        WhereCase("code >= 4", [4, 5]),  // int32 column
        WhereCase("30 = age", [0]),
        WhereCase("age = height - 140", [0, 4]),  // column vs column
        WhereCase("20 < age <= 30", [0, 1]),  // SAS range chain
        WhereCase("40 > age > 20", [0, 1, 4]),
    ]

    static let strings: [WhereCase] = [
        WhereCase("name = 'Alice'", [0]),
        WhereCase("name = \"Alice\"", [0]),
        WhereCase("name = 'alice'", []),  // string comparison is case-sensitive
        WhereCase("name = 'Carol'", [3]),  // trailing blanks ignored on the column side
        WhereCase("name = 'Carol    '", [3]),  // and on the literal side
        WhereCase("name = 'O''Neil'", [4]),
        WhereCase("name = \"O'Neil\"", [4]),
        WhereCase("name = ''", [2]),  // a missing string is the empty string
        WhereCase("name = ' '", [2]),
        WhereCase("city = ''", [2]),
        WhereCase("name < 'B'", [0, 2]),
        WhereCase("name > 'a'", [1]),
        WhereCase("name ^= 'Dave'", [0, 1, 2, 3, 4]),
        WhereCase("NAME = 'Dave'", [5]),  // column names are case-insensitive
        WhereCase("'name'n = 'Dave'", [5]),
        WhereCase("'home town'n = 'Cork'", [4]),
        WhereCase("\"Home Town\"N = 'Cork'", [4]),
        WhereCase("name = city", [2]),  // both missing
    ]

    static let arithmetic: [WhereCase] = [
        WhereCase("age + 5 = 35", [0]),
        WhereCase("age - 1 = 18", [5]),
        WhereCase("age * 2 > 70", [3]),
        WhereCase("age / 5 = 5", [1]),
        WhereCase("age ** 2 = 900", [0]),
        WhereCase("-age < -40", [2, 3]),  // -missing is missing, which is lowest
        WhereCase("- -age = 30", [0]),
        WhereCase("+age = 30", [0]),
        WhereCase("age + . > 0", []),  // arithmetic with a missing operand is missing
        WhereCase("age + . = .", [0, 1, 2, 3, 4, 5]),
        WhereCase("age / 0 = .", [0, 1, 2, 3, 4, 5]),  // division by zero is missing
        WhereCase("height - age = 140", [0, 4]),
        WhereCase("1 + 2 * 3 = 7", [0, 1, 2, 3, 4, 5]),
        WhereCase("(1 + 2) * 3 = 9", [0, 1, 2, 3, 4, 5]),
        WhereCase("10 - 4 - 3 = 3", [0, 1, 2, 3, 4, 5]),  // left-associative
        WhereCase("12 / 3 / 2 = 2", [0, 1, 2, 3, 4, 5]),
        WhereCase("2 ** 3 ** 2 = 512", [0, 1, 2, 3, 4, 5]),  // ** is right-associative
        WhereCase("-2 ** 2 = -4", [0, 1, 2, 3, 4, 5]),  // unary minus binds looser than **
        WhereCase("2 * -3 = -6", [0, 1, 2, 3, 4, 5]),
    ]

    static let logic: [WhereCase] = [
        WhereCase("age > 20 and age < 40", [0, 1, 4]),
        WhereCase("age > 20 & height >= 175", [3, 4]),
        WhereCase("age > 40 or age < 20", [2, 3, 5]),
        WhereCase("age > 40 | age < 20", [2, 3, 5]),
        WhereCase("age > 20 and age < 40 or name = 'Dave'", [0, 1, 4, 5]),  // and binds tighter than or
        WhereCase("name = 'Dave' or age > 20 and age < 40", [0, 1, 4, 5]),
        WhereCase("age > 20 and (age < 40 or name = 'Dave')", [0, 1, 4]),
        WhereCase("not age > 30", [0, 1, 2, 5]),  // not applies to the whole comparison
        WhereCase("NOT age > 30", [0, 1, 2, 5]),
        WhereCase("^(age > 30)", [0, 1, 2, 5]),
        WhereCase("~ age > 30", [0, 1, 2, 5]),
        WhereCase("not age > 30 and height > 170", [5]),  // not binds tighter than and
        WhereCase("not (age > 30 and height > 170)", [0, 1, 2, 5]),
        WhereCase("not not age > 30", [3, 4]),
        WhereCase("code", [0, 1, 3, 4, 5]),  // a number is true when not missing and not zero
        WhereCase("code - 1", [1, 3, 4, 5]),
        WhereCase("(age > 30) = 1", [3, 4]),  // a condition is 1 or 0 in arithmetic
        WhereCase("(age > 30) + (height > 170) = 2", [3, 4]),
        WhereCase("age and code > 3", [4, 5]),
    ]

    static let predicates: [WhereCase] = [
        WhereCase("age in (25, 35)", [1, 4]),
        WhereCase("age not in (25, 35)", [0, 2, 3, 5]),
        WhereCase("age ^in (25, 35)", [0, 2, 3, 5]),
        WhereCase("age in (., 19)", [2, 5]),
        WhereCase("age in (-1, 30)", [0]),
        WhereCase("code in (1:3)", [0, 1, 3]),
        WhereCase("code in (0:1, 5)", [0, 5]),
        WhereCase("age in (25:26)", [1]),
        WhereCase("name in ('Alice', 'Carol')", [0, 3]),  // trailing blanks ignored
        WhereCase("name in ('')", [2]),
        WhereCase("city not in ('Paris')", [1, 2, 3, 5]),
        WhereCase("age between 25 and 35", [0, 1, 4]),
        WhereCase("age not between 25 and 35", [2, 3, 5]),
        WhereCase("age between . and 20", [2, 5]),
        WhereCase("height between 170 and 180 and code > 1", [3, 4]),  // the bound's 'and' is taken first
        WhereCase("age + 1 between 20 and 26", [1, 5]),
        WhereCase("name between 'A' and 'C'", [0]),
        WhereCase("city contains 'or'", [3]),
        WhereCase("name ? 'o'", [1, 3]),
        WhereCase("name contains ''", [0, 1, 2, 3, 4, 5]),
        WhereCase("name not contains 'a'", [0, 1, 2, 4]),
        WhereCase("city contains name", [2]),  // "" is in every string; only row 2's name is empty
        WhereCase("name like 'A%'", [0]),
        WhereCase("name like '%e'", [0, 5]),
        WhereCase("name like '_ob'", [1]),
        WhereCase("name like 'Carol'", [3]),  // trailing blanks ignored
        WhereCase("name like '%'", [0, 1, 2, 3, 4, 5]),
        WhereCase("name like '_'", []),
        WhereCase("name like '%o%'", [1, 3]),
        WhereCase("name not like '%o%'", [0, 2, 4, 5]),
        WhereCase("city like 'New_York'", [3]),
        WhereCase("city like 'P%s'", [0, 4]),
        WhereCase("city like '%%i%'", [0, 4, 5]),
        WhereCase("age is missing", [2]),
        WhereCase("age IS NULL", [2]),
        WhereCase("age is not missing", [0, 1, 3, 4, 5]),
        WhereCase("age is not null", [0, 1, 3, 4, 5]),
        WhereCase("missing(name)", [2]),
        WhereCase("not missing(height)", [0, 2, 3, 4, 5]),
        WhereCase("city is missing", [2]),  // "" is missing
        WhereCase("photo is missing", [1, 2, 3, 5]),  // nil and empty blobs
        WhereCase("missing(age + height)", [1, 2]),
        WhereCase("name || '!' = 'Alice!'", [0]),
        WhereCase("city || ', ' || name = 'Paris, Alice'", [0]),
        WhereCase("'#' || code = '#3'", [3]),  // numbers concatenate as text
        WhereCase("name || age = 'bob25'", [1]),
    ]

    static let functions: [WhereCase] = [
        WhereCase("upcase(name) = 'BOB'", [1]),
        WhereCase("lowcase(city) = 'paris'", [0, 4]),
        WhereCase("length(name) = 5", [0, 3]),  // trailing blanks do not count
        WhereCase("length(name) = 1", [2]),  // SAS: a blank string has length 1
        WhereCase("trim(name) || '.' = 'Carol.'", [3]),
        WhereCase("strip('  x ') = 'x'", [0, 1, 2, 3, 4, 5]),
        WhereCase("substr(name, 2, 2) = 'li'", [0]),
        WhereCase("substr(city, 5) = 'York'", [3]),
        WhereCase("reverse(name) = 'ecilA'", [0]),
        WhereCase("cats('  a ', 1, ' b') = 'a1b'", [0, 1, 2, 3, 4, 5]),
        WhereCase("scan('a/b/c.png', -1, '/') = 'c.png' and scan('a b', 2) = 'b' and scan('a', 3) = ''", [0, 1, 2, 3, 4, 5]),
        WhereCase("put(age, 'z5.') = '00030'", [0]),
        WhereCase("put(1e300, 'z5.') = '1e+300'", [0, 1, 2, 3, 4, 5]),  // beyond Int64: plain text, no trap
        WhereCase("put(7.25, '8.2') = '    7.25' and put(name, '$3.') = 'Ali'", [0]),
        WhereCase("index(city, 'York') = 5", [3]),
        WhereCase("index(name, 'zz') = 0 and name is not missing", [0, 1, 3, 4, 5]),
        // DLPy's load_files: the file name after the last '/' of a path
        WhereCase("substr('/data/cats/img1.png', length('/data/cats/img1.png') - index(reverse('/data/cats/img1.png'), '/') + 2) = 'img1.png'", [0, 1, 2, 3, 4, 5]),
        WhereCase("abs(-age) = 30", [0]),
        WhereCase("int(age / 10) = 3", [0, 4]),
        WhereCase("floor(-age / 10) = -4", [4]),
        WhereCase("ceil(age / 10) = 3", [0, 1]),
        WhereCase("round(age / 10) = 3", [0, 1]),  // 2.5 rounds away from zero
        WhereCase("round(age, 20) = 40", [0, 3, 4]),
        WhereCase("sqrt(age) = 5", [1]),
        WhereCase("sqrt(-age) = .", [0, 1, 2, 3, 4, 5]),
        WhereCase("exp(0) = 1 and log(1) = 0 and age > 0", [0, 1, 3, 4, 5]),
        WhereCase("mod(code, 2) = 0", [1, 4]),
        WhereCase("max(age, height) > 180", [5]),
        WhereCase("min(age, height) = 160", [2]),  // missing arguments are skipped
        WhereCase("sum(age, .) = 30", [0]),
        WhereCase("mean(age, height) = 100", [0]),
        WhereCase("MISSING(age)", [2]),
    ]

    static let all = [0, 1, 2, 3, 4, 5]
    static let dates: [WhereCase] = [
        WhereCase("'01jan1960'd = 0", all),  // SAS dates count days from 1 Jan 1960
        WhereCase("'02JAN1960'D = 1", all),
        WhereCase("'31dec1959'd = -1", all),
        WhereCase("'01jan2020'd = 21915", all),
        WhereCase("'29feb2020'd - '28feb2020'd = 1", all),
        WhereCase("'1mar2000'd - '28feb2000'd = 2", all),  // 2000 is a leap year
        WhereCase("'01jan25'd = '01jan2025'd and '01jan26'd = '01jan1926'd", all),  // YEARCUTOFF 1926
        WhereCase("'13:30't = 48600", all),
        WhereCase("'00:00:01.5't = 1.5", all),
        WhereCase("'02jan1960:00:00:01'dt = 86401", all),
        WhereCase("age * 1000 between '01jan2000'd and '31dec2060'd", [0, 1, 4, 5]),  // 41000 is in 2072
    ]

    @Test(arguments: comparisons + strings + arithmetic + logic + functions + dates)
    func selects(_ c: WhereCase) throws {
        #expect(try rows(c.text) == c.expected)
    }

    @Test(arguments: predicates)
    func predicate(_ c: WhereCase) throws {
        #expect(try rows(c.text) == c.expected)
    }

    @Test func matchesAgreesWithMatchingRows() throws {
        let bound = try WhereExpression("age > 20 and name ^= 'bob'").bind(to: people)
        let byRow = (0..<people.rowCount).filter { bound.matches(row: $0) }
        #expect(byRow == [0, 3, 4])
        #expect(bound.matchingRows() == byRow)
        #expect(bound.matchingRows(in: 1..<4) == [3])
    }

    @Test func sameExpressionBindsToDifferentTables() throws {
        let expr = try WhereExpression("x > 1")
        let a = DataTable(name: "A", columns: [Column(name: "x", data: .double([0, 2, 3]))])
        let b = DataTable(name: "B", columns: [Column(name: "X", data: .int64([5, nil]))])
        #expect(try expr.bind(to: a).matchingRows() == [1, 2])
        #expect(try expr.bind(to: b).matchingRows() == [0])
        #expect(expr.text == "x > 1")
    }

    @Test func emptyTableMatchesNothing() throws {
        let empty = DataTable(name: "E", columns: [Column(name: "x", data: .double([]))])
        #expect(try rows("x > 0 or x is missing", in: empty) == [])
    }
}

// MARK: - values

@Suite("where: computed values")
struct WhereValueTests {
    @Test func numberValues() throws {
        let b = try WhereExpression("age * 2").bindValue(to: people)
        #expect(b.resultType == .double)
        #expect(b.value(row: 0) == .double(60))
        #expect(b.value(row: 2) == .null)
    }

    @Test func stringValues() throws {
        let b = try WhereExpression("upcase(city) || '-' || code").bindValue(to: people)
        #expect(b.resultType == .varchar)
        #expect(b.value(row: 0) == .string("PARIS-1"))
        #expect(b.value(row: 2) == .string("-."))
        let empty = try WhereExpression("city").bindValue(to: people)
        #expect(empty.value(row: 2) == .null)  // the empty string is missing
        #expect(empty.matchingRows() == [0, 1, 3, 4, 5])  // a string "matches" when not blank
    }

    @Test func conditionValuesAreOneOrZero() throws {
        let b = try WhereExpression("age > 30").bind(to: people)
        #expect(b.resultType == .double)
        #expect((0..<6).map { b.value(row: $0) } == [0, 0, 0, 1, 1, 0].map { Value.double($0) })
    }

    @Test func binaryValues() throws {
        let b = try WhereExpression("photo").bindValue(to: people)
        #expect(b.resultType == .varbinary)
        #expect(b.value(row: 0) == .blob([1, 2]))
        #expect(b.value(row: 1) == .null)
    }

    @Test func constantsAreFolded() throws {
        let folded = try WhereBinder(table: people).bind(WhereParser.parse("(1 + 2) * 3 || 'x'"))
        #expect(folded.isConstant)
        #expect(try !WhereBinder(table: people).bind(WhereParser.parse("age + 1")).isConstant)
        let b = try WhereExpression("(1 + 2) * 3 || 'x'").bindValue(to: people)
        #expect(b.value(row: 0) == .string("9x"))
    }
}

// MARK: - errors

@Suite("where: errors")
struct WhereErrorTests {
    static let syntax: [WhereErrorCase] = [
        WhereErrorCase("", at: 0, "empty where expression"),
        WhereErrorCase("   ", at: 0, "empty where expression"),
        WhereErrorCase("age >", at: 5, "expected an operand"),
        WhereErrorCase("age > 30 and", at: 12, "but found end of expression"),
        WhereErrorCase("(age > 30", at: 9, "expected ')' to close the '(' at position 0"),
        WhereErrorCase("age > 30)", at: 8, "expected an operator"),
        WhereErrorCase("age > 30 30", at: 9, "expected an operator (and, or, =, <, +, ...) or the end"),
        WhereErrorCase("name = 'abc", at: 7, "unterminated string"),
        WhereErrorCase("age $ 3", at: 4, "unexpected character '$'"),
        WhereErrorCase("12abc > 1", at: 0, "malformed number"),
        WhereErrorCase("age = .a", at: 6, "special missing values"),
        WhereErrorCase("name = 'x'q", at: 10, "unknown suffix 'q' after a string"),
        WhereErrorCase("age = '29feb2021'd", at: 6, "invalid date literal '29feb2021'd; expected e.g. '01jan2020'd"),
        WhereErrorCase("age = '25:61't", at: 6, "invalid time literal"),
        WhereErrorCase("age = '01jan2020'dt", at: 6, "invalid datetime literal"),
        WhereErrorCase("age in 1, 2", at: 7, "'(' to start the IN list"),
        WhereErrorCase("age in ()", at: 8, "at least one constant"),
        WhereErrorCase("age in (age)", at: 8, "a constant"),
        WhereErrorCase("age in (1, 2", at: 12, "',' or ')' in the IN list"),
        WhereErrorCase("age in (25,35,)", at: 14, "a constant"),
        WhereErrorCase("code in (3:1)", at: 9, "low <= high"),
        WhereErrorCase("age between 1 or 2", at: 14, "'and' between the two bounds"),
        WhereErrorCase("name like age", at: 10, "a quoted pattern"),
        WhereErrorCase("age is 5", at: 7, "'missing' or 'null' after 'is'"),
        WhereErrorCase("age is not 5", at: 11, "after 'is not'"),
        WhereErrorCase("and = 1", at: 0, "the keyword 'and'"),
        WhereErrorCase("age > in", at: 6, "'in'n"),
        WhereErrorCase("upcase(name", at: 11, "',' or ')' after the arguments of upcase"),
        WhereErrorCase("name = 'é' and ağe $", at: 19, "unexpected character '$'"),  // positions count characters
    ]

    static let binding: [WhereErrorCase] = [
        WhereErrorCase("agee > 1", at: 0, "unknown column 'agee' in table 'PEOPLE'; did you mean 'age'?"),
        WhereErrorCase("hieght > 1", at: 0, "did you mean 'height'?"),  // transposition
        WhereErrorCase("age > 1 and Nmae = 'x'", at: 12, "did you mean 'name'?"),
        WhereErrorCase("'home twn'n = 'x'", at: 0, "did you mean 'home town'?"),
        WhereErrorCase("name > 5", at: 5, "cannot compare the column 'name' (a string) with the number 5 (a number)"),
        WhereErrorCase("age = 'x'", at: 4, "cannot compare the column 'age' (a number) with the string 'x' (a string)"),
        WhereErrorCase("age between 'a' and 'b'", at: 4, "using BETWEEN"),
        WhereErrorCase("name + 1 > 2", at: 0, "'+' needs a number but the column 'name' is a string"),
        WhereErrorCase("-name = 1", at: 1, "unary '-' needs a number"),
        WhereErrorCase("name", at: 0, "a where expression needs a condition but the column 'name' is a string"),
        WhereErrorCase("name and age > 1", at: 0, "'and' needs a condition"),
        WhereErrorCase("name in (1, 2)", at: 9, "IN list item is a number but the column 'name' is a string"),
        WhereErrorCase("age in (1, 'a')", at: 11, "IN list item is a string"),
        WhereErrorCase("age contains '3'", at: 0, "CONTAINS needs a string but the column 'age' is a number"),
        WhereErrorCase("age like '3%'", at: 0, "LIKE needs a string"),
        WhereErrorCase("photo = 'x'", at: 6, "(a binary value)"),
        WhereErrorCase("foo(age) > 1", at: 0, "unknown function 'foo'"),
        WhereErrorCase("upcse(name) = 'A'", at: 0, "did you mean 'upcase'?"),
        WhereErrorCase("substr(name) = 'a'", at: 0, "substr takes 2 to 3 argument(s) but got 1"),
        WhereErrorCase("abs(name) = 1", at: 4, "abs() needs a number"),
        WhereErrorCase("(age + 1) || name > 1", at: 18, "cannot compare the expression at position 10"),
    ]

    @Test(arguments: syntax + binding)
    func reportsPositionAndExpectation(_ c: WhereErrorCase) {
        let error = whereError(c.text)
        #expect(error?.position == c.position, "\(String(describing: error))")
        #expect(error?.message.contains(c.fragment) == true, "\(String(describing: error))")
    }

    @Test func noSuggestionForFarNames() {
        let error = whereError("zzzzzz > 1")
        #expect(error?.message.contains("unknown column 'zzzzzz'") == true)
        #expect(error?.message.contains("did you mean") == false)
    }

    @Test func descriptionIncludesPosition() {
        let error = WhereError(message: "expected x", position: 7)
        #expect(error.description == "expected x at position 7")
    }

    @Test func bindValueAcceptsStringsButBindDoesNot() {
        #expect(whereError("upcase(name)", bindValue: true) == nil)
        #expect(whereError("upcase(name)") != nil)
    }

    @Test(arguments: [("age", "agee", true), ("height", "hieght", true), ("name", "xyz", false), ("Price", "prcie", true)])
    func nearMissSuggestion(candidate: String, typo: String, suggested: Bool) {
        #expect((WhereSuggestion.closest(to: typo, in: [candidate, "unrelatedcolumn"]) == candidate) == suggested)
    }
}

// MARK: - properties

@Suite("where: compiled evaluation matches a naive reference")
struct WherePropertyTests {
    /// SAS order written the slow, obvious way: missing below everything.
    private static func reference(_ a: Double, _ op: String, _ b: Double) -> Bool {
        let key: (Double) -> (Int, Double) = { $0.isNaN ? (0, 0) : (1, $0) }
        let (x, y) = (key(a), key(b))
        switch op {
        case "=": return x == y
        case "^=": return x != y
        case "<": return x < y
        case "<=": return x <= y
        case ">": return x > y
        default: return x >= y
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func randomComparisons(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let xs: [Double] = (0..<200).map { _ in Int.random(in: 0..<10, using: &rng) == 0 ? .nan : Double(Int.random(in: -5...5, using: &rng)) }
        let ys: [Double] = (0..<200).map { _ in Int.random(in: 0..<10, using: &rng) == 0 ? .nan : Double(Int.random(in: -5...5, using: &rng)) }
        let table = DataTable(name: "R", columns: [Column(name: "x", data: .double(xs)), Column(name: "y", data: .double(ys))])
        for _ in 0..<40 {
            let op = ["=", "^=", "<", "<=", ">", ">="].randomElement(using: &rng)!
            let c = Double(Int.random(in: -5...5, using: &rng))
            let joiner = Bool.random(using: &rng) ? "and" : "or"
            let text = "x \(op) \(c) \(joiner) not y \(op) x + 1"
            let got = try WhereExpression(text).bind(to: table).matchingRows()
            let want = (0..<200).filter { r in
                let left = Self.reference(xs[r], op, c)
                let right = !Self.reference(ys[r], op, xs[r] + 1)
                return joiner == "and" ? left && right : left || right
            }
            #expect(got == want, "\(text)")
        }
    }

    @Test func filtersAMillionRows() throws {
        let n = 1_000_000
        let table = DataTable(name: "BIG", columns: [Column(name: "x", data: .double((0..<n).map { Double($0 % 100) }))])
        let rows = try WhereExpression("x < 10").bind(to: table).matchingRows()
        #expect(rows.count == n / 10)
        #expect(rows.prefix(11) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
    }
}
