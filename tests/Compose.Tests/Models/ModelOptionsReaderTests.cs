using Compose.Language;
using Compose.Models;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>
/// <see cref="ModelOptionsReader"/>, the one reader of model options every provider uses: for each method, an absent
/// option, a good value, a wrong type and a value out of range; unknown options with a did-you-mean; the standard
/// wording and a provider's own.
/// </summary>
public sealed class ModelOptionsReaderTests
{
    // Spec(...) puts option i on line i + 3: its key at column 5, its value at column 7 + the key's length.
    private static readonly SourceLocation ModelLocation = new(SourceFile, 2, 3);

    private static string[] CodesOf(List<Diagnostic> diagnostics) => [.. diagnostics.Select(d => d.Code)];

    private static SourceLocation ValueAt(int index, string key) => new(SourceFile, index + 3, 7 + key.Length);

    private static SourceLocation KeyAt(int index) => new(SourceFile, index + 3, 5);

    private static SpecSequence List(int line, params string[] items) =>
        new([.. items.Select(i => (SpecNode)new SpecScalar(i, SourceLocation.None))], new SourceLocation(SourceFile, line, 9));

    private static (ModelOptionsReader Reader, List<Diagnostic> Diagnostics) Read(params (string Key, string Value)[] options)
    {
        var diagnostics = new List<Diagnostic>();
        return (new ModelOptionsReader("test", Spec("m", options), diagnostics), diagnostics);
    }

    private static (ModelOptionsReader Reader, List<Diagnostic> Diagnostics) ReadWith(params (string Key, SpecNode? Node, string Value)[] options)
    {
        var diagnostics = new List<Diagnostic>();
        return (new ModelOptionsReader("test", SpecWith("m", options), diagnostics), diagnostics);
    }

    [Fact]
    public void Known_reports_an_unknown_option_at_its_key_with_a_did_you_mean()
    {
        var (reader, diagnostics) = Read(("latency_ms", "5"), ("latncy_ms", "5"), ("colour", "red"));

        reader.Known(["latency_ms", "default"]);

        Assert.Collection(
            diagnostics,
            d =>
            {
                Assert.Equal(DiagnosticCodes.UnknownKey, d.Code);
                Assert.True(d.IsError);
                Assert.Equal(KeyAt(1), d.Location);
                Assert.Equal("unknown option 'latncy_ms' for a test model", d.Message);
                Assert.Equal("did you mean 'latency_ms'?", d.Hint);
            },
            d =>
            {
                Assert.Equal(KeyAt(2), d.Location);
                Assert.Equal("test models take: latency_ms, default", d.Hint);
            });
    }

    [Fact]
    public void Known_passes_accepted_keys_and_keys_already_reported_and_takes_a_providers_wording()
    {
        var (reader, diagnostics) = Read(("provider", "x"), ("api_key", "secret"), ("pth", "a"));
        reader.Add("api_key", Diagnostic.Error("OWN1", KeyAt(1), "a secret"));

        reader.Known(["path"], new("OWN2", key => $"Unknown option '{key}'.", key => $"Not '{key}'.") { Severity = DiagnosticSeverity.Warning }, alsoAccepted: ["provider"]);

        Assert.Equal(["OWN1", "OWN2"], CodesOf(diagnostics));
        var unknown = diagnostics[1];
        Assert.False(unknown.IsError);
        Assert.Equal("Unknown option 'pth'.", unknown.Message);
        Assert.Equal("Not 'pth'.", unknown.Hint);
        Assert.Equal(KeyAt(2), unknown.Location);
    }

    [Fact]
    public void Text_absent_good_and_not_a_single_value()
    {
        var (reader, diagnostics) = ReadWith(("default", null, "hi"), ("name", List(4, "a"), ""));

        Assert.Null(reader.Text("missing"));
        Assert.Equal("hi", reader.Text("default"));
        Assert.Null(reader.Text("name"));

        var d = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.WrongType, d.Code);
        Assert.Equal("name must be a text", d.Message);
        Assert.Equal(new SourceLocation(SourceFile, 4, 9), d.Location);
    }

    [Fact]
    public void Text_refused_by_its_check_is_reported_with_the_providers_wording_given_the_value()
    {
        var (reader, diagnostics) = Read(("service_id", ""), ("format", "chatlm"));

        Assert.Null(reader.Text("service_id", new("OWN", "service_id must be a non-empty text", "For example: service_id: small"), v => v.Length > 0));
        Assert.Null(reader.Text("format", new("OWN", v => $"Unknown format '{v}'."), v => v == "chatml"));

        Assert.Collection(
            diagnostics,
            d =>
            {
                Assert.Equal("OWN", d.Code);
                Assert.Equal(ValueAt(0, "service_id"), d.Location);
                Assert.Equal("For example: service_id: small", d.Hint);
            },
            d =>
            {
                Assert.Equal("Unknown format 'chatlm'.", d.Message);
                Assert.Null(d.Hint); // a provider's own message has exactly the hint it gives
                Assert.Equal(ValueAt(1, "format"), d.Location);
            });
    }

    [Fact]
    public void Required_reports_a_missing_option_at_the_model_and_an_empty_one_at_its_value()
    {
        var (reader, diagnostics) = Read(("path", ""), ("model", "  "), ("name", "x"));

        Assert.Null(reader.Required("absent"));
        Assert.Null(reader.Required("path", text: RequiredText.NotEmpty));
        Assert.Null(reader.Required("model"));
        Assert.Equal("x", reader.Required("name")?.Value);

        Assert.All(diagnostics, d => Assert.Equal(DiagnosticCodes.MissingKey, d.Code));
        Assert.Equal(["a test model needs 'absent'", "a test model needs 'path'", "a test model needs 'model'"], diagnostics.Select(d => d.Message));
        Assert.Equal([ModelLocation, ValueAt(0, "path"), ValueAt(1, "model")], diagnostics.Select(d => d.Location));
    }

    [Fact]
    public void Required_takes_what_it_is_told_counts_as_written()
    {
        var (reader, diagnostics) = Read(("empty", ""), ("blank", " "));

        Assert.Equal("", reader.Required("empty", text: RequiredText.MayBeEmpty)?.Value);
        Assert.Equal(" ", reader.Required("blank", text: RequiredText.NotEmpty)?.Value);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Required_reports_a_list_where_a_value_should_be_at_the_list()
    {
        var (reader, diagnostics) = ReadWith(("path", List(3, "a", "b"), ""));

        Assert.Null(reader.Required("path", new("OWN", "needs a path", "For example: path: x")));

        var d = Assert.Single(diagnostics);
        Assert.Equal(("OWN", "needs a path", "For example: path: x"), (d.Code, d.Message, d.Hint));
        Assert.NotEqual(ModelLocation, d.Location); // every provider points at what is written, not at the model
        Assert.Equal(3, d.Location.Line);
    }

    [Fact]
    public void Int_absent_good_wrong_type_and_out_of_range()
    {
        var (reader, diagnostics) = ReadWith(("a", null, "7"), ("b", null, "2.5"), ("c", null, "11"), ("d", List(6, "1"), ""), ("e", null, "0"));

        Assert.Null(reader.Int("none", 0, 10));
        Assert.Equal(7, reader.Int("a", 0, 10));
        Assert.Null(reader.Int("b", 0, 10));
        Assert.Null(reader.Int("c", 0, 10));
        Assert.Null(reader.Int("d", 0, 10));
        Assert.Null(reader.Int("e", 1, int.MaxValue));

        Assert.Equal([DiagnosticCodes.WrongType, DiagnosticCodes.OutOfRange, DiagnosticCodes.WrongType, DiagnosticCodes.OutOfRange], CodesOf(diagnostics));
        Assert.Equal("b must be a whole number between 0 and 10", diagnostics[0].Message);
        Assert.Equal(ValueAt(1, "b"), diagnostics[0].Location);
        Assert.Equal(ValueAt(2, "c"), diagnostics[1].Location);
        Assert.Equal(new SourceLocation(SourceFile, 6, 9), diagnostics[2].Location);
        Assert.Equal("e must be a whole number of at least 1", diagnostics[3].Message);
    }

    [Fact]
    public void Int_with_a_providers_problem_uses_it_for_every_fault_and_gives_it_the_value()
    {
        var problem = new OptionProblem("OWN", v => $"max_retries '{v}' is not a whole number from 0 to 10", "for example max_retries: 3");
        var (reader, diagnostics) = Read(("max_retries", "lots"), ("other", "-1"));

        Assert.Null(reader.Int("max_retries", 0, 10, problem));
        Assert.Null(reader.Int("other", 0, 10, problem));

        Assert.Equal(["OWN", "OWN"], CodesOf(diagnostics));
        Assert.Equal("max_retries 'lots' is not a whole number from 0 to 10", diagnostics[0].Message);
        Assert.Equal("max_retries '-1' is not a whole number from 0 to 10", diagnostics[1].Message);
        Assert.Equal("for example max_retries: 3", diagnostics[1].Hint);
    }

    [Fact]
    public void Double_absent_good_wrong_type_and_out_of_range()
    {
        var (reader, diagnostics) = Read(("t", "0.5"), ("u", "soon"), ("v", "3"), ("w", "0"), ("x", "NaN"));

        Assert.Null(reader.Double("none", 0, 2));
        Assert.Equal(0.5, reader.Double("t", 0, 2));
        Assert.Null(reader.Double("u", 0, 2));
        Assert.Null(reader.Double("v", 0, 2));
        Assert.Null(reader.Double("w", 0, 2, minExclusive: true));
        Assert.Null(reader.Double("x", 0, 2));

        Assert.Equal([DiagnosticCodes.WrongType, DiagnosticCodes.OutOfRange, DiagnosticCodes.OutOfRange, DiagnosticCodes.WrongType], CodesOf(diagnostics));
        Assert.Equal("u must be a number between 0 and 2", diagnostics[0].Message);
        Assert.Equal(ValueAt(2, "v"), diagnostics[1].Location);
        Assert.Equal("w must be a number greater than 0 and at most 2", diagnostics[2].Message);
    }

    [Fact]
    public void Milliseconds_absent_good_wrong_type_and_out_of_range()
    {
        var (reader, diagnostics) = Read(("latency_ms", "50"), ("slow_ms", "600001"), ("odd_ms", "fast"));

        Assert.Null(reader.Milliseconds("none_ms", 600_000));
        Assert.Equal(TimeSpan.FromMilliseconds(50), reader.Milliseconds("latency_ms", 600_000));
        Assert.Null(reader.Milliseconds("slow_ms", 600_000, new("OWN", hint: "For example: slow_ms: 50")));
        Assert.Null(reader.Milliseconds("odd_ms", 600_000));

        // A problem with a hint and no message keeps the standard message.
        Assert.Equal(("OWN", "slow_ms must be a number of milliseconds between 0 and 600000", "For example: slow_ms: 50"), (diagnostics[0].Code, diagnostics[0].Message, diagnostics[0].Hint));
        Assert.Equal(ValueAt(1, "slow_ms"), diagnostics[0].Location);
        Assert.Equal(DiagnosticCodes.WrongType, diagnostics[1].Code);
    }

    [Fact]
    public void Bool_absent_good_and_wrong_type()
    {
        var (reader, diagnostics) = Read(("a", "true"), ("b", "FALSE"), ("c", "yes"));

        Assert.Null(reader.Bool("none"));
        Assert.True(reader.Bool("a"));
        Assert.False(reader.Bool("b"));
        Assert.Null(reader.Bool("c"));

        var d = Assert.Single(diagnostics);
        Assert.Equal((DiagnosticCodes.WrongType, "c must be true or false", "write c: true or c: false"), (d.Code, d.Message, d.Hint));
        Assert.Equal(ValueAt(2, "c"), d.Location);
    }

    [Fact]
    public void Word_absent_good_and_misspelt_with_a_did_you_mean()
    {
        var (reader, diagnostics) = ReadWith(("on_missing", null, "error"), ("mode", null, "emtpy"), ("kind", List(5, "x"), ""));

        Assert.Null(reader.Word("none", ["error", "empty"]));
        Assert.Equal("error", reader.Word("on_missing", ["error", "empty"]));
        Assert.Null(reader.Word("mode", ["error", "empty"]));
        Assert.Null(reader.Word("kind", ["error", "empty"]));

        Assert.Equal((DiagnosticCodes.InvalidEnumValue, "mode must be one of error, empty", "did you mean 'empty'?"), (diagnostics[0].Code, diagnostics[0].Message, diagnostics[0].Hint));
        Assert.Equal(ValueAt(1, "mode"), diagnostics[0].Location);
        Assert.Equal(DiagnosticCodes.WrongType, diagnostics[1].Code);
        Assert.Equal(2, diagnostics.Count);
    }

    [Fact]
    public void List_absent_good_and_wrong_type()
    {
        var (reader, diagnostics) = ReadWith(("rules", List(3, "a", "b"), ""), ("more", null, "a"));

        Assert.Null(reader.List("none"));
        Assert.Equal(2, reader.List("rules")?.Length);
        Assert.Null(reader.List("more"));

        var d = Assert.Single(diagnostics);
        Assert.Equal((DiagnosticCodes.WrongType, "more must be a list"), (d.Code, d.Message));
        Assert.Equal(ValueAt(1, "more"), d.Location);
    }

    [Fact]
    public void An_option_is_reported_once_and_has_errors_counts_only_what_came_after()
    {
        var diagnostics = new List<Diagnostic> { Diagnostic.Error("EARLIER", SourceLocation.None, "before") };
        var reader = new ModelOptionsReader("test", Spec("m", ("n", "x"), ("w", "1")), diagnostics);
        Assert.False(reader.HasErrors);

        reader.Int("n", 0, 1);
        reader.Int("n", 0, 1);
        reader.Double("n", 0, 1);
        reader.Add("w", Diagnostic.Warning("OWN", SourceLocation.None, "refused"));

        Assert.Null(reader.Int("w", 0, 1));
        Assert.Equal(["EARLIER", DiagnosticCodes.WrongType, "OWN"], CodesOf(diagnostics));
        Assert.True(reader.HasErrors);
    }

    [Fact]
    public void A_list_where_a_single_value_belongs_takes_the_readers_wording_and_then_counts_as_missing()
    {
        var diagnostics = new List<Diagnostic>();
        var reader = new ModelOptionsReader("test", SpecWith("m", ("model", List(3, "a"), ""), ("size", List(4, "b"), "")), diagnostics)
        {
            NotScalar = new("SHAPE", key => $"'{key}' must be a single value", key => $"write it as {key}: value"),
        };

        Assert.Null(reader.Int("size", 0, 10, new("OWN", "never used")));
        Assert.Null(reader.Required("model", new("MISSING", "needs model")));

        Assert.Equal(["SHAPE", "SHAPE", "MISSING"], CodesOf(diagnostics));
        Assert.Equal("'size' must be a single value", diagnostics[0].Message);
        Assert.Equal("write it as model: value", diagnostics[1].Hint);
        Assert.Equal(new SourceLocation(SourceFile, 3, 9), diagnostics[2].Location);
    }

    [Fact]
    public void Values_are_trimmed_when_asked()
    {
        var diagnostics = new List<Diagnostic>();
        var reader = new ModelOptionsReader("test", Spec("m", ("field", " max_tokens "), ("model", " m "), ("retries", " x ")), diagnostics) { TrimValues = true };

        Assert.Equal("max_tokens", reader.Word("field", ["max_tokens"]));
        Assert.Equal("m", reader.Required("model")?.Value);
        Assert.Null(reader.Int("retries", 0, 3, new("OWN", v => $"'{v}'")));
        Assert.Equal("'x'", Assert.Single(diagnostics).Message);
    }

    [Fact]
    public void A_nested_mapping_is_read_with_its_own_location()
    {
        var rule = new SpecMapping(
            [new SpecEntry("wen", new SourceLocation(SourceFile, 5, 9), new SpecScalar("x", new SourceLocation(SourceFile, 5, 14)))],
            new SourceLocation(SourceFile, 5, 7));
        var (reader, diagnostics) = ReadWith(("rules", new SpecSequence([rule], new SourceLocation(SourceFile, 4, 5)), ""));

        var inner = reader.Within(rule);
        inner.Known(["when", "reply"]);
        Assert.Null(inner.Required("when"));

        Assert.Equal([DiagnosticCodes.UnknownKey, DiagnosticCodes.MissingKey], CodesOf(diagnostics));
        Assert.Equal("did you mean 'when'?", diagnostics[0].Hint);
        Assert.Equal(new SourceLocation(SourceFile, 5, 7), diagnostics[1].Location);
    }
}
