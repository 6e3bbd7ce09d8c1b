namespace Compose.Onnx.Tests;

/// <summary>The shipped Compose.Onnx assembly carries no test-only code: model writers live in Compose.Onnx.TestKit.</summary>
public sealed class ShippedSurfaceTests
{
    [Fact]
    public void Compose_onnx_ships_no_model_writers()
    {
        var assembly = typeof(OnnxModel).Assembly;
        var writers = assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && (ns.EndsWith(".Testing", StringComparison.Ordinal) || ns.EndsWith(".TestKit", StringComparison.Ordinal))
                || t.Name is "TinyDecoderWriter" or "TinyDecoderSpec" or "OnnxGraphBuilder" or "ProtoWriter")
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(writers);
        Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name == "Google.Protobuf");
    }

    [Fact]
    public void The_test_kit_is_its_own_assembly()
    {
        Assert.NotEqual(typeof(OnnxModel).Assembly, typeof(TestKit.TinyDecoderWriter).Assembly);
        Assert.Equal("Compose.Onnx.TestKit", typeof(TestKit.TinyDecoderWriter).Assembly.GetName().Name);
    }
}
