using Compose.Onnx.Chat;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

public sealed class ChatFormatTests
{
    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "S"), new(ChatRole.User, "U")];

    [Fact]
    public void Renders_the_common_families()
    {
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n", ChatFormat.ChatMl.Render(Conversation));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatFormat.Llama3.Render(Conversation));
        Assert.Equal("<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n", ChatFormat.Phi3.Render(Conversation));
        Assert.Equal("<s>[INST] S\n\nU [/INST]", ChatFormat.Mistral.Render(Conversation));
    }

    [Theory]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.role }}", "chatml")]
    [InlineData("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}", "llama3")]
    [InlineData("{{'<|user|>' + message['content'] + '<|end|>'}}", "phi3")]
    [InlineData("{{ '[INST] ' + message['content'] + ' [/INST]' }}", "mistral")]
    public void Detects_the_format_from_a_chat_template(string template, string expected) =>
        Assert.Equal(expected, ChatFormatDetector.FromTemplate(template)!.Name);

    [Fact]
    public void Finds_formats_by_name_and_alias()
    {
        Assert.Same(ChatFormat.ChatMl, ChatFormat.Find("qwen"));
        Assert.Same(ChatFormat.Llama3, ChatFormat.Find("LLAMA3"));
        Assert.Null(ChatFormat.Find("chatlm"));
    }
}
