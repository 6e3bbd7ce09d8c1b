using Compose.Language;
using Compose.Models.Providers;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>Check() of the <c>openai</c> provider: every bad option is a diagnostic with a code, a location and a hint.</summary>
public sealed class OpenAIProviderCheckTests
{
    private static List<Diagnostic> Check(ModelSpec spec, string? key = "set") => [.. Provider().Check(spec, Context(key))];

    [Fact]
    public void Valid_options_give_no_diagnostics()
    {
        var spec = Spec(
            "gpt",
            ("model", "gpt-4o-mini"),
            ("base_url", "http://127.0.0.1:8080/v1"),
            ("api_key_env", KeyVariable),
            ("timeout_seconds", "30"),
            ("max_retries", "0"),
            ("organization", "org-123"),
            ("concurrency", "4"));

        Assert.Empty(Check(spec));
    }

    [Fact]
    public void Unknown_option_suggests_the_closest()
    {
        var diagnostic = Assert.Single(Check(Spec("gpt", ("model", "m"), ("base_ulr", "http://127.0.0.1/v1"))), d => d.IsError);

        Assert.Equal("CMP350", diagnostic.Code);
        Assert.Equal("did you mean 'base_url'?", diagnostic.Hint);
        Assert.Equal(new SourceLocation(SourceFile, 4, 5), diagnostic.Location);
    }

    [Fact]
    public void Missing_model_is_an_error()
    {
        var diagnostic = Assert.Single(Check(Spec("gpt", ("base_url", "http://127.0.0.1/v1"))));

        Assert.Equal("CMP351", diagnostic.Code);
        Assert.True(diagnostic.IsError);
    }

    [Theory]
    [InlineData("127.0.0.1:8080/v1")]
    [InlineData("/v1")]
    [InlineData("ftp://example.com/v1")]
    [InlineData("http://user:secret@example.com/v1")]
    public void Base_url_must_be_absolute_http(string url)
    {
        var diagnostic = Assert.Single(Check(Spec("gpt", ("model", "m"), ("base_url", url))));

        Assert.Equal("CMP352", diagnostic.Code);
        Assert.DoesNotContain("secret", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api_key", "sk-abc")]
    [InlineData("api_key_env", "sk-proj-1234567890abcdefghij")]
    [InlineData("api_key_env", "Zx81kQ2mVb7Lp0sRt5Yw3Nc9")]
    [InlineData("organization", "sk-live-1234567890abcdefghijkl")]
    public void A_key_written_in_the_file_is_an_error_that_does_not_repeat_it(string option, string value)
    {
        var diagnostics = Check(Spec("gpt", ("model", "m"), ("base_url", "http://127.0.0.1/v1"), (option, value)));

        var diagnostic = Assert.Single(diagnostics, d => d.Code == "CMP353");
        Assert.True(diagnostic.IsError);
        Assert.Contains("api_key_env", diagnostic.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain(value, diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Api_key_env_must_be_a_variable_name()
    {
        var diagnostic = Assert.Single(Check(Spec("gpt", ("model", "m"), ("base_url", "http://127.0.0.1/v1"), ("api_key_env", "MY-KEY"))));

        Assert.Equal("CMP354", diagnostic.Code);
    }

    [Fact]
    public void An_unset_key_variable_is_only_a_warning_when_checking()
    {
        var diagnostic = Assert.Single(Check(ServerLessSpec(("api_key_env", KeyVariable)), key: null));

        Assert.Equal("CMP355", diagnostic.Code);
        Assert.False(diagnostic.IsError);
    }

    [Fact]
    public void The_official_endpoint_reads_OPENAI_API_KEY_by_default()
    {
        var diagnostic = Assert.Single(Check(Spec("gpt", ("model", "gpt-4o-mini"))));

        Assert.Equal("CMP355", diagnostic.Code);
        Assert.Contains("OPENAI_API_KEY", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("soon")]
    public void Timeout_must_be_positive(string value)
    {
        Assert.Equal("CMP356", Assert.Single(Check(ServerLessSpec(("timeout_seconds", value)))).Code);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("11")]
    [InlineData("2.5")]
    public void Max_retries_must_be_0_to_10(string value)
    {
        Assert.Equal("CMP357", Assert.Single(Check(ServerLessSpec(("max_retries", value)))).Code);
    }

    [Fact]
    public void Max_tokens_field_must_be_one_of_the_two()
    {
        Assert.Equal("CMP359", Assert.Single(Check(ServerLessSpec(("max_tokens_field", "n_predict")))).Code);
    }

    [Fact]
    public void A_list_where_a_value_belongs_is_an_error()
    {
        var list = new SpecSequence([new SpecScalar("a", SourceLocation.None)], new SourceLocation(SourceFile, 5, 9));
        var spec = SpecWith("gpt", ("model", null, "m"), ("base_url", null, "http://127.0.0.1/v1"), ("organization", list, ""));

        var diagnostic = Assert.Single(Check(spec));

        Assert.Equal("CMP358", diagnostic.Code);
        Assert.Equal(new SourceLocation(SourceFile, 5, 9), diagnostic.Location);
    }

    [Fact]
    public void Create_reports_option_errors_as_diagnostics()
    {
        var error = Assert.Throws<DiagnosticException>(() => Provider().Create(ServerLessSpec(("max_retries", "99")), Context()));

        Assert.Equal("CMP357", Assert.Single(error.Diagnostics).Code);
    }

    private static ModelSpec ServerLessSpec(params (string Key, string Value)[] extra) =>
        Spec("gpt", [("model", "m"), ("base_url", "http://127.0.0.1:1/v1"), .. extra]);

    [Theory]
    [InlineData("lots")]
    [InlineData("0")]
    [InlineData("1023")]
    [InlineData("2GiB")]
    [InlineData("-5")]
    [InlineData("1.5MiB")]
    [InlineData("99999999999999999999")]
    [InlineData("12 TB")]
    public void Max_response_bytes_must_be_a_size_from_1KiB_to_1GiB(string value)
    {
        var diagnostic = Assert.Single(Check(Spec("gpt", ("model", "m"), ("max_response_bytes", value))), d => d.IsError);

        Assert.Equal("CMP380", diagnostic.Code);
        Assert.True(diagnostic.IsError);
        Assert.Equal(new SourceLocation(SourceFile, 4, 7 + "max_response_bytes".Length), diagnostic.Location);
        Assert.Contains("max_response_bytes", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("64MiB", diagnostic.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("64KiB", 64L * 1024)]
    [InlineData("64kb", 64L * 1024)]
    [InlineData("8 MiB", 8L * 1024 * 1024)]
    [InlineData("1G", 1024L * 1024 * 1024)]
    public void Max_response_bytes_takes_bytes_or_binary_units(string value, long bytes)
    {
        var spec = Spec("gpt", ("model", "m"), ("base_url", "http://127.0.0.1:8080/v1"), ("max_response_bytes", value));

        var options = OpenAIModelProvider.ReadOptions(spec, Context());

        Assert.Equal(bytes, options.MaxResponseBytes);
        Assert.Equal(32L * 1024 * 1024, OpenAIModelProvider.ReadOptions(Spec("gpt", ("model", "m"), ("base_url", "http://127.0.0.1:8080/v1")), Context()).MaxResponseBytes);
    }
}
