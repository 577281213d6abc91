import CASWire
import Testing

@testable import CASCore

/// SAS functions added for swat's CASTable methods (issue 18), each with the value SAS's function
/// reference gives (dates: SAS dates count days from 1960-01-01, a Friday).
@Suite("where: SAS functions")
struct WhereSASFunctionTests {
    static let one = DataTable(name: "ONE", columns: [Column(name: "x", data: .double([1])), Column(name: "name", data: .varchar(["a"]))])

    static let cases: [(String, Value)] = [
        ("lengthn('abc  ')", 3), ("lengthn('  ')", 0), ("length('  ')", 1), ("trimn('ab  ') || '|'", "ab|"),
        ("propcase('hello WORLD-wide')", "Hello World-Wide"), ("count('abababa', 'aba')", 2), ("find('hello', 'll')", 3),
        ("find('hello', 'z')", 0), ("find('hello', 'L', 'i')", 3), ("find('hello', 'l', 4)", 4), ("repeat('ab', 2)", "ababab"), ("compress('a b c')", "abc"), ("compress('a-b-c', '-')", "abc"),
        ("coalescec('  ', 'x')", "x"), ("notdigit('123a')", 4), ("notdigit('123')", 0), ("notalpha('ab1')", 3), ("notalnum('ab1!')", 4),
        ("notspace('  a')", 3),
        ("rounde(2.5)", 2), ("rounde(3.5)", 4), ("round(2.5)", 3), ("rounde(25, 10)", 20), ("rounde(2.5, 0)", 2.5), ("sign(-3)", -1), ("sign(0)", 0),
        ("fact(5)", 120), ("fact(-1)", .null), ("gamma(5)", 24), ("erf(0)", 0), ("log10(1000)", 3), ("log2(8)", 3),
        ("gcd(12, 18)", 6), ("lcm(4, 6)", 12), ("coalesce(., 3)", 3), ("choosen(2, 10, 20, 30)", 20), ("constant('pi')", .double(Double.pi)), ("round(beta(5, 3) * 105, 1e-9)", 1),
        ("round(logbeta(5, 3) + log(105), 1e-9)", 0), ("round(digamma(1), 1e-9)", -0.577215665), ("round(trigamma(1), 1e-9)", 1.644934067),
        ("round(digamma(0.5), 1e-9)", -1.963510026), ("round(digamma(-0.5), 1e-9)", 0.036489974), ("digamma(0)", .null), ("beta(0, 1)", .null), ("choosen(4, 10, 20, 30)", .null), ("modz(7, 3)", 1),
        ("mdy(1, 1, 1960)", 0), ("mdy(2, 29, 2020)", 21974), ("mdy(2, 30, 2021)", .null), ("day(mdy(2, 29, 2020))", 29),
        ("weekday(0)", 6), ("year(22000)", 2020), ("month(22000)", 3), ("day(22000)", 26), ("qtr(22000)", 1), ("weekday(22000)", 5),
        ("year(-1)", 1959), ("datepart(86400 * 3 + 5)", 3), ("timepart(86400 * 3 + 5)", 5), ("hour(3661)", 1), ("minute(3661)", 1),
        ("second(3661)", 1),
        ("prxmatch('/ell/', 'hello')", 2), ("prxmatch('/^he/', 'hello')", 1), ("prxmatch('/^el/', 'hello')", 0),
        ("prxmatch('/LO\\s*$/i', 'hello  ')", 4), ("prxmatch('/lo$/', 'hello ')", 0), ("prxmatch('/^\\s*\\d+\\s*$/', ' 123 ')", 1),
        ("prxmatch('/^\\s*\\d+\\s*$/', '12a')", 0), ("prxmatch('/a\\.b/', 'xa.b')", 2), ("prxmatch('/a\\.b/', 'axb')", 0),
    ]

    @Test(arguments: cases.indices)
    func valueAsSASGivesIt(_ i: Int) throws {
        let (text, expected) = Self.cases[i]
        let got = try WhereExpression(text).bindValue(to: Self.one).value(row: 0)
        #expect(got == expected || got.doubleValue == expected.doubleValue && expected.doubleValue != nil, "\(text) = \(got), expected \(expected)")
    }

    @Test func argumentCountsAndTypesAreChecked() {
        for (text, fragment) in [("prxmatch('/a.*b/', 'x')", "'.' is not supported"), ("prxmatch('/\\d+1/', 'x')", "also matches"),
                                 ("prxmatch('/(a|b)/', 'x')", "not supported"), ("prxmatch('/a/g', 'x')", "flag 'g'"), ("prxmatch(name, 'x')", "pattern literal"),
                                 ("lengthn(1)", "needs a string"), ("count('a')", "takes 2"), ("mdy(1, 2)", "takes 3"), ("constant('nope')", "'pi'"), ("day('x')", "needs a number")] {
            #expect(throws: WhereError.self, "\(text)") { _ = try WhereExpression(text).bindValue(to: Self.one) }
            do { _ = try WhereExpression(text).bindValue(to: Self.one) } catch { #expect("\(error)".contains(fragment), "\(text): \(error)") }
        }
    }
}
