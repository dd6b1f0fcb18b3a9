using System.Diagnostics;
using System.Globalization;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Cluster;

/// <summary>What Ctrl+C (or SIGTERM) does to the job being followed.</summary>
internal enum OnInterrupt
{
    /// <summary>Cancel it on the cluster: the in-process cluster's job, or a remote one with --cancel-on-interrupt.</summary>
    CancelJob,

    /// <summary>Stop following it; it goes on on the cluster, and `sana cancel` stops it.</summary>
    LeaveRunning,
}
