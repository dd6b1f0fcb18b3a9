using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.Gpus;

public sealed partial class NvidiaSmi
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "nvidia-smi: GPU {Index} {Name}, {FreeMiB} of {TotalMiB} MiB free")]
    private partial void LogFound(int index, string name, long freeMiB, long totalMiB);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "No nvidia-smi at '{Path}': no NVIDIA GPUs on this machine")]
    private partial void LogNotPresent(string path);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "nvidia-smi at '{Path}' failed ({Problem}): treating this machine as GPU-less")]
    private partial void LogFailed(string path, string problem);
}
