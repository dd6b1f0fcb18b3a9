using System.Diagnostics;
using System.Globalization;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Cluster;

/// <summary>How a followed job ended for this process: its last status, and whether an interrupt ended the following.</summary>
internal sealed record JobRunResult(JobStatus Status, bool Interrupted);
