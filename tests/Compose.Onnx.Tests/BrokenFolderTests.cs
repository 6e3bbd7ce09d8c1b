using System.Text.Json.Nodes;
using Compose.Language;
using Compose.Onnx.TestKit;

namespace Compose.Onnx.Tests;

/// <summary>Broken model folders give a diagnostic naming the file and the problem, never a raw ONNX Runtime exception.</summary>
public sealed class BrokenFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private string Folder(Action<string>? damage = null, TinyDecoderSpec? spec = null)
    {
        var folder = TinyDecoderWriter.Write(_temp.Sub(Guid.NewGuid().ToString("N")[..6]), spec ?? new TinyDecoderSpec());
        damage?.Invoke(folder);
        return folder;
    }

    private static Diagnostic Fails(string folder, OnnxModelOptions? options = null)
    {
        var e = Assert.Throws<DiagnosticException>(() => OnnxModel.Load(folder, options).Dispose());
        return Assert.Single(e.Diagnostics);
    }

    private static void EditConfig(string folder, Action<JsonNode> edit)
    {
        var path = Path.Combine(folder, "genai_config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void Missing_folder() => Assert.Equal(OnnxErrors.FolderNotFound, Fails(_temp.Sub("nope")).Code);

    [Fact]
    public void Missing_genai_config()
    {
        var d = Fails(Folder(f => File.Delete(Path.Combine(f, "genai_config.json"))));
        Assert.Equal(OnnxErrors.MissingFile, d.Code);
        Assert.EndsWith("genai_config.json", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_decoder_file()
    {
        var d = Fails(Folder(f => File.Delete(Path.Combine(f, "model.onnx"))));
        Assert.Equal(OnnxErrors.MissingFile, d.Code);
        Assert.EndsWith("model.onnx", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_tokenizer()
    {
        var d = Fails(Folder(f => File.Delete(Path.Combine(f, "tokenizer.json"))));
        Assert.Equal(OnnxErrors.MissingFile, d.Code);
        Assert.EndsWith("tokenizer.json", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_onnx_file()
    {
        var d = Fails(Folder(f => File.WriteAllBytes(Path.Combine(f, "model.onnx"), [0x08, 0x07, 0xFF, 0xFF, 0x12, 0x99, 0x01, 0x02])));
        Assert.Equal(OnnxErrors.BadOnnxFile, d.Code);
        Assert.EndsWith("model.onnx", d.Location.File, StringComparison.Ordinal);
        Assert.Contains("model.onnx", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_onnx_file()
    {
        var d = Fails(Folder(f =>
        {
            var path = Path.Combine(f, "model.onnx");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        }));
        Assert.Equal(OnnxErrors.BadOnnxFile, d.Code);
    }

    [Fact]
    public void Missing_external_data()
    {
        var d = Fails(Folder(f => File.Delete(Path.Combine(f, "model.onnx.data")), new TinyDecoderSpec { ExternalData = true }));
        Assert.Equal(OnnxErrors.BadOnnxFile, d.Code);
        Assert.EndsWith("model.onnx", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_model_type()
    {
        var d = Fails(Folder(f => EditConfig(f, j => j["model"]!["type"] = "transformer-xl")));
        Assert.Equal(OnnxErrors.UnknownModelType, d.Code);
        Assert.Contains("transformer-xl", d.Message, StringComparison.Ordinal);
        Assert.EndsWith("genai_config.json", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json()
    {
        var d = Fails(Folder(f => File.WriteAllText(Path.Combine(f, "genai_config.json"), "{ \"model\": ")));
        Assert.Equal(OnnxErrors.BadConfig, d.Code);
    }

    [Fact]
    public void Head_size_that_does_not_match_the_graph()
    {
        var d = Fails(Folder(f => EditConfig(f, j => j["model"]!["decoder"]!["head_size"] = 16)));
        Assert.Equal(OnnxErrors.InterfaceMismatch, d.Code);
        Assert.Contains("past_key_values.0.key", d.Message, StringComparison.Ordinal);
        Assert.EndsWith("model.onnx", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Cache_names_that_do_not_match_the_graph()
    {
        var d = Fails(Folder(f => EditConfig(f, j =>
        {
            j["model"]!["decoder"]!["inputs"]!["past_names"] = "past_%d";
            j["model"]!["decoder"]!["outputs"]!["present_names"] = "present_%d";
        })));
        Assert.Equal(OnnxErrors.InterfaceMismatch, d.Code);
        Assert.Contains("past_0", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_layers_in_the_config()
    {
        var d = Fails(Folder(f => EditConfig(f, j => j["model"]!["decoder"]!["num_hidden_layers"] = 3)));
        Assert.Equal(OnnxErrors.InterfaceMismatch, d.Code);
        Assert.Contains("past_key_values.2.key", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_without_the_gpu_package_names_the_package()
    {
        var d = Fails(Folder(), new OnnxModelOptions { ExecutionProvider = "cuda" });
        Assert.Equal(OnnxErrors.ProviderUnavailable, d.Code);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_requested_by_the_folder_names_the_package()
    {
        var d = Fails(Folder(f => EditConfig(f, j => j["model"]!["decoder"]!["session_options"]!["provider_options"] = new JsonArray(new JsonObject { ["cuda"] = new JsonObject() }))));
        Assert.Equal(OnnxErrors.ProviderUnavailable, d.Code);
        Assert.EndsWith("genai_config.json", d.Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_a_diagnostic()
    {
        using var model = OnnxModel.Load(Folder(spec: new TinyDecoderSpec { ContextLength = 8 }));
        var e = await Assert.ThrowsAsync<DiagnosticException>(() => model.GenerateAsync(new Generation.GenerationRequest { PromptIds = [.. Enumerable.Range(60, 9)] }));
        Assert.Equal(OnnxErrors.PromptTooLong, e.Diagnostics[0].Code);
    }

    public void Dispose() => _temp.Dispose();
}
