using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

public sealed class OnnxModelProviderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public OnnxModelProviderTests() => TinyDecoderWriter.Write(_temp.Sub(Path.Combine("models", "tiny")), new TinyDecoderSpec());

    private ModelProviderContext Context => new() { BaseDirectory = _temp.Path, Catalog = ModelProviderCatalog.Empty };

    private static SourceLocation At(int line) => new("pipeline.yaml", line, 5);

    private static ModelSpec Spec(string name, params (string Key, string Value)[] options) =>
        new(name, "onnx", new SpecMapping([.. options.Select((o, i) => new SpecEntry(o.Key, At(10 + i), new SpecScalar(o.Value, At(10 + i))))], At(9)), At(8));

    [Fact]
    public void Check_accepts_a_good_spec()
    {
        var provider = new OnnxModelProvider();
        Assert.Empty(provider.Check(Spec("local", ("provider", "onnx"), ("path", "models/tiny"), ("chat_format", "chatml"), ("max_batch", "4")), Context));
        var unknown = Assert.Single(provider.Check(Spec("local", ("path", "models/tiny"), ("max_bach", "4")), Context));
        Assert.Equal(DiagnosticSeverity.Error, unknown.Severity); // as for every provider: a misspelt option is never ignored
        Assert.Contains("max_batch", unknown.Hint, StringComparison.Ordinal);
        Assert.Equal("onnx", provider.Name);
    }

    [Fact]
    public void Check_reports_missing_path_missing_folder_and_bad_chat_format_with_locations()
    {
        var provider = new OnnxModelProvider();

        var missing = Assert.Single(provider.Check(Spec("local"), Context));
        Assert.Equal(OnnxErrors.MissingPath, missing.Code);
        Assert.Equal(At(8), missing.Location); // the model's own location: there is no path option to point at

        var notFound = Assert.Single(provider.Check(Spec("local", ("path", "models/none")), Context));
        Assert.Equal(OnnxErrors.FolderNotFound, notFound.Code);
        Assert.Equal(At(10), notFound.Location);

        var format = Assert.Single(provider.Check(Spec("local", ("path", "models/tiny"), ("chat_format", "chatlm")), Context));
        Assert.Equal(OnnxErrors.UnknownChatFormat, format.Code);
        Assert.Equal(At(11), format.Location);
        Assert.Contains("Did you mean 'chatml'", format.Hint, StringComparison.Ordinal);

        var ep = Assert.Single(provider.Check(Spec("local", ("path", "models/tiny"), ("execution_provider", "cdua")), Context));
        Assert.Equal(OnnxErrors.BadOption, ep.Code);
        Assert.Contains("cuda", ep.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_shares_one_model_per_folder()
    {
        using var provider = new OnnxModelProvider();
        var a = provider.Create(Spec("a", ("path", "models/tiny")), Context);
        var b = provider.Create(Spec("b", ("path", "./models/../models/tiny"), ("chat_format", "plain")), Context);

        Assert.Same(a.GetService<OnnxModel>(), b.GetService<OnnxModel>());
        Assert.Equal("plain", Assert.IsType<OnnxChatClient>(b).ChatFormat.Name);
        var response = await a.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { MaxOutputTokens = 4, Temperature = 0 });
        Assert.True(response.Usage!.OutputTokenCount is > 0 and <= 4);
    }

    [Fact]
    public void Prefix_cache_mb_sets_the_prefix_cache_and_zero_turns_it_off()
    {
        using var provider = new OnnxModelProvider();
        Assert.Empty(provider.Check(Spec("a", ("path", "models/tiny"), ("prefix_cache_mb", "0")), Context));
        var bad = Assert.Single(provider.Check(Spec("a", ("path", "models/tiny"), ("prefix_cache_mb", "-1")), Context));
        Assert.Equal(OnnxErrors.BadOption, bad.Code);
        Assert.Equal(At(11), bad.Location);
        Assert.Single(provider.Check(Spec("a", ("path", "models/tiny"), ("prefix_cache_mb", "lots")), Context));

        var off = provider.Create(Spec("off", ("path", "models/tiny"), ("prefix_cache_mb", "0")), Context).GetService<OnnxModel>()!;
        var some = provider.Create(Spec("some", ("path", "models/tiny"), ("prefix_cache_mb", "8")), Context).GetService<OnnxModel>()!;
        var standard = provider.Create(Spec("standard", ("path", "models/tiny")), Context).GetService<OnnxModel>()!;
        Assert.Equal(0, off.Options.PrefixCacheBytes);
        Assert.Equal(8L * 1024 * 1024, some.Options.PrefixCacheBytes);
        Assert.Equal(OnnxModelOptions.DefaultPrefixCacheBytes, standard.Options.PrefixCacheBytes);
        Assert.NotSame(off, standard);
    }

    [Fact]
    public void Capabilities_offer_log_probabilities_and_continuation()
    {
        var capabilities = new OnnxModelProvider().Capabilities(Spec("a", ("path", "models/tiny")), Context);
        Assert.True(capabilities.HasFlag(ModelCapabilities.LogProbabilities));
        Assert.True(capabilities.HasFlag(ModelCapabilities.Continuation));
    }

    [Fact]
    public void Create_throws_diagnostics_for_bad_specs()
    {
        using var provider = new OnnxModelProvider();
        var e = Assert.Throws<DiagnosticException>(() => provider.Create(Spec("a", ("path", "models/none")), Context));
        Assert.Equal(OnnxErrors.FolderNotFound, e.Diagnostics[0].Code);
    }

    [Fact]
    public void Catalog_accepts_the_provider()
    {
        var catalog = ModelProviderCatalog.Empty.With(new OnnxModelProvider());
        Assert.True(catalog.TryGet("onnx", out var p));
        Assert.IsType<OnnxModelProvider>(p);
    }

    [Fact]
    public void Inspector_describes_what_was_read()
    {
        var text = OnnxModelInspector.Describe(_temp.Sub(Path.Combine("models", "tiny")));

        Assert.Contains("llama", text, StringComparison.Ordinal);
        Assert.Contains("separate past_key_values.%d.key", text, StringComparison.Ordinal);
        Assert.Contains("chatml (from tokenizer_config.json chat_template)", text, StringComparison.Ordinal);
        Assert.Contains("ByteLevelBpe", text, StringComparison.Ordinal);
        Assert.Contains("position_ids (Int64)", text, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Engine_option_picks_the_engine_and_its_capabilities()
    {
        using var provider = new OnnxModelProvider();
        Assert.Empty(provider.Check(Spec("local", ("path", "models/tiny"), ("engine", "genai")), Context));
        var bad = Assert.Single(provider.Check(Spec("local", ("path", "models/tiny"), ("engine", "genia")), Context));
        Assert.Equal(OnnxErrors.BadOption, bad.Code);
        Assert.Contains("genai", bad.Hint, StringComparison.Ordinal);

        var compose = provider.Capabilities(Spec("local", ("path", "models/tiny")), Context);
        var genai = provider.Capabilities(Spec("local", ("path", "models/tiny"), ("engine", "genai")), Context);
        Assert.Equal(ModelCapabilities.LogProbabilities | ModelCapabilities.Continuation | ModelCapabilities.ConstrainedOutput, compose);
        Assert.Equal(compose | ModelCapabilities.ConstrainedGrammar, genai);

        var client = Assert.IsType<OnnxChatClient>(provider.Create(Spec("local", ("path", "models/tiny"), ("engine", "genai")), Context));
        Assert.Equal("genai", client.Model.EngineName);
    }

    [SkippableFact]
    public void Cuda_without_the_gpu_packages_is_reported_at_the_device_option_naming_the_package()
    {
        using var provider = new OnnxModelProvider();
        Skip.If(Runtime.SessionFactory.HasCuda, "this build has the CUDA execution provider");
        var compose = Assert.Single(provider.Check(Spec("local", ("path", "models/tiny"), ("device", "cuda")), Context));
        Assert.Equal(OnnxErrors.ProviderUnavailable, compose.Code);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", compose.Hint, StringComparison.Ordinal);
        var genai = Assert.Single(provider.Check(Spec("local", ("path", "models/tiny"), ("engine", "genai"), ("device", "cuda")), Context));
        Assert.Equal(OnnxErrors.EngineUnavailable, genai.Code);
        Assert.Contains("Microsoft.ML.OnnxRuntimeGenAI.Cuda", genai.Message, StringComparison.Ordinal);
        Assert.NotEqual(SourceLocation.None, genai.Location);
    }
}
